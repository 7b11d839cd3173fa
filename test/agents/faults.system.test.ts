// Faults on real servers during the fan-out: a server killed mid-upload and started again — the
// retry re-sends the backup, the copy is verified, the other locations finish unaffected, and the
// event stream and failed_agent_ids say what happened. A server that stays down: the backup is
// recorded as failed for that location, the copy is queued, and the background retry lands it
// once the server is back, clearing the failed id.

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocationAgent, createStoredAgent } from '../../src/agents/location-registry.js';
import type { LocationConfig } from '../../src/agents/location-config.js';
import type { RetryPolicy } from '../../src/agents/retrying-agent.js';
import { openManager } from '../helpers/manager.js';
import { isStateEvent, isUploadProgress, type ManagerEvent, type UploadProgressEvent } from '../../src/manager/events.js';
import { instantFromDate } from '../../src/util/time.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { eventually } from '../helpers/eventually.js';
import { SkipReason } from '../servers/sshd.js';
import { startTarget, type Kind, type Target } from './location-targets.js';
import { SUCCESSFUL_CREATE_EVENTS } from '../helpers/manager-events.js';

const MiB = 1024 * 1024;
const REMOTE: Kind[] = ['s3', 'sftp', 'webdav'];

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return h.digest('hex');
}

async function sha256Stream(source: AsyncIterable<Buffer>): Promise<string> {
  const h = createHash('sha256');
  for await (const c of source) h.update(c);
  return h.digest('hex');
}

describe('faults during the fan-out', () => {
  const targets = new Map<Kind, Target>();
  const closers: (() => Promise<void>)[] = [];
  let folder: Target;

  beforeAll(async () => {
    folder = await startTarget('folder');
    for (const kind of REMOTE) {
      try {
        targets.set(kind, await startTarget(kind));
      } catch (err) {
        if (!(err instanceof SkipReason)) throw err;
        process.stderr.write(`faults: ${kind} left out: ${err.message}\n`);
      }
    }
  });
  afterAll(async () => {
    for (const c of closers) await c();
    await Promise.all([...targets.values()].map((t) => t.stop()));
  });

  async function setup(locations: { target: Target; limit: number | null }[], retry: Partial<RetryPolicy>, clock?: { now: Date }) {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    await writeFile(join(inst, 'big.bin'), randomBytes(24 * MiB));
    const manager = await openManager({ installation: inst, timeZone: 'UTC', ...(clock ? { clock: { now: () => instantFromDate(clock.now) } } : {}) });
    const retries: string[] = [];
    for (const { target, limit } of locations) {
      const { agent, close } = createLocationAgent({ ...target.spec, bandwidth_limit: limit }, target.secrets, {
        retry: { ...retry, onRetry: (info) => retries.push(info.agentId) },
      });
      manager.registerAgent(agent);
      closers.push(close);
    }
    const events: { at: number; event: ManagerEvent }[] = [];
    manager.events.subscribe((event) => events.push({ at: Date.now(), event }));
    return { inst, manager, events, retries };
  }

  const progressOf = (events: { at: number; event: ManagerEvent }[], agentId: string) =>
    events.filter((e) => isUploadProgress(e.event) && e.event.agent_id === agentId) as { at: number; event: UploadProgressEvent }[];

  for (const kind of REMOTE) {
    it(`${kind}: a server killed mid-upload and restarted gets the copy on a retry, verified; the others are unaffected`, async (ctx) => {
      const victim = targets.get(kind);
      if (!victim) return ctx.skip();
      const bystander = [...targets.values()].find((t) => t !== victim) ?? folder;
      const { manager, events, retries } = await setup(
        [
          { target: victim, limit: 8 * MiB },
          { target: bystander, limit: 8 * MiB },
          { target: folder, limit: null },
        ],
        { attempts: 6, baseMs: 300, maxMs: 1500, stallMs: 10_000 },
      );
      let killedAt = 0;
      let restartedAt = 0;
      let fault: Promise<void> | null = null;
      // The server dies once 2 MiB of the copy have gone up, and comes back once the client has
      // noticed and scheduled a retry.
      const stop = manager.events.subscribe((e) => {
        if (fault || !isUploadProgress(e) || e.agent_id !== victim.spec.id || e.uploaded_bytes < 2 * MiB) return;
        fault = (async () => {
          await victim.kill();
          killedAt = Date.now();
          await eventually(() => retries.includes(victim.spec.id), 'the client to schedule a retry', 30_000, 10);
          await victim.restart();
          restartedAt = Date.now();
        })();
      });
      const result = await manager.create({ agentIds: ['backup.local', victim.spec.id, bystander.spec.id, folder.spec.id], level: 1 });
      stop();
      await fault;
      expect(killedAt).toBeGreaterThan(0);

      // The outcome: every copy landed, nothing recorded as failed.
      expect(result.failedAgentIds).toEqual([]);
      expect(manager.catalogue.get(result.backupId)?.failed_agent_ids).toEqual([]);
      expect(retries.filter((id) => id === victim.spec.id).length).toBeGreaterThanOrEqual(1);
      expect(retries.filter((id) => id !== victim.spec.id)).toEqual([]);
      const listed = (await manager.list()).backups.find((b) => b.backup_id === result.backupId)!;
      expect(Object.keys(listed.agents).sort()).toEqual(['backup.local', victim.spec.id, bystander.spec.id, folder.spec.id].sort());
      expect(listed.failed_agent_ids).toEqual([]);

      // The copy on the restarted server is the file, byte for byte.
      const want = await sha256File(result.path!);
      const fresh = createStoredAgent(victim.spec, victim.secrets);
      expect(await sha256Stream(await fresh.download(result.backupId))).toBe(want);
      expect((await fresh.capabilities.recordedDigest?.(result.backupId))).toBe(want);
      await fresh.close();

      // The event stream: Home Assistant's create sequence, and per-location progress that ends complete.
      expect(events.map((e) => e.event).filter(isStateEvent)).toEqual(SUCCESSFUL_CREATE_EVENTS);
      for (const id of [victim.spec.id, bystander.spec.id, folder.spec.id]) {
        const p = progressOf(events, id);
        expect(p.at(-1)?.event).toEqual({ manager_state: 'create_backup', agent_id: id, uploaded_bytes: result.backup.size, total_bytes: result.backup.size });
      }
      const victimProgress = progressOf(events, victim.spec.id);
      expect(victimProgress.some((p) => p.at > restartedAt)).toBe(true);
      const bystanderDone = progressOf(events, bystander.spec.id).at(-1)!.at;
      expect(bystanderDone).toBeLessThan(victimProgress.at(-1)!.at);
    });
  }

  it('a server that stays down: failed for that location, queued, and copied by the background retry once it is back', async (ctx) => {
    const victim = targets.get('webdav') ?? targets.get('s3');
    if (!victim) return ctx.skip();
    const clock = { now: new Date('2026-07-01T10:00:00Z') };
    const { manager, events } = await setup([{ target: victim, limit: null }, { target: folder, limit: null }], { attempts: 2, baseMs: 50, maxMs: 100 }, clock);
    await victim.kill();
    try {
      const result = await manager.create({ agentIds: ['backup.local', victim.spec.id, folder.spec.id], level: 1 });
      expect(result.failedAgentIds).toEqual([victim.spec.id]);
      expect(result.reason).toBe('upload_failed');
      expect(events.map((e) => e.event).filter(isStateEvent).slice(-2)).toEqual([
        { manager_state: 'create_backup', reason: 'upload_failed', stage: null, state: 'failed' },
        { manager_state: 'idle' },
      ]);
      expect(manager.catalogue.get(result.backupId)?.failed_agent_ids).toEqual([victim.spec.id]);
      const queued = manager.uploadQueue.list();
      expect(queued.map((q) => [q.backup_id, q.agent_id, q.attempts])).toEqual([[result.backupId, victim.spec.id, 1]]);
      const listing = await manager.list();
      expect(listing.backups.find((b) => b.backup_id === result.backupId)?.failed_agent_ids).toEqual([victim.spec.id]);
      expect(Object.keys(listing.agentErrors)).toEqual([victim.spec.id]);

      // Not due yet: nothing happens.
      expect((await manager.retryFailedUploads()).attempted).toEqual([]);

      await victim.restart();
      clock.now = new Date(clock.now.getTime() + 3600_000);
      const from = events.length;
      const run = await manager.retryFailedUploads();
      expect(run.attempted).toEqual([{ backupId: result.backupId, agentId: victim.spec.id, ok: true }]);
      expect(manager.uploadQueue.list()).toEqual([]);
      expect(manager.catalogue.get(result.backupId)?.failed_agent_ids).toEqual([]);
      const after = (await manager.list()).backups.find((b) => b.backup_id === result.backupId)!;
      expect(after.failed_agent_ids).toEqual([]);
      expect(Object.keys(after.agents)).toContain(victim.spec.id);
      expect(progressOf(events.slice(from), victim.spec.id).at(-1)?.event).toEqual({
        manager_state: 'idle',
        agent_id: victim.spec.id,
        uploaded_bytes: result.backup.size,
        total_bytes: result.backup.size,
      });
      const fresh = createStoredAgent(victim.spec, victim.secrets);
      expect(await sha256Stream(await fresh.download(result.backupId))).toBe(await sha256File(result.path!));
      await fresh.close();
    } finally {
      await victim.restart().catch(() => undefined);
    }
  });
});
