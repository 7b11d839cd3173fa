// `lifeboat serve` as real processes, on three installations served side by side so their cron
// schedules (`* * * * *`) fire at the same minute boundary. Every process of this file runs on a
// clock set a few seconds before a minute boundary (libfaketime), so nobody waits for a real one:
//   A – a working setup: an encrypted automatic backup appears by itself, the entities report it,
//       no notification is sent; then its schedule changes under the running serve and a restart
//       keeps settings, entity states and the planned next run;
//   B – only an unavailable location: the failure reaches the entities, the webhook and ntfy;
//   D – a 128 MiB demo installation, SIGTERMed while serve writes its backup: the step is abandoned
//       cleanly (exit 0, no partial file, nothing left in .lifeboat/tmp).
// Serve logs nothing per manager event, and a small backup finishes within a few hundred
// milliseconds, so for A only the final state is asserted; the in_progress stage is observed from
// outside on D's long backup (entities.json is rewritten on every change).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityState } from '../../src/entities/entity-tracker.js';
import { runCli } from '../helpers/cli.js';
import { startReceiver, type Receiver } from '../helpers/http-receiver.js';
import { makeInstallation } from '../helpers/installation.js';
import {
  backupFiles,
  clockAheadEnv,
  EVENT_STATE,
  killAllServes,
  readStates,
  settingsJson,
  startServe,
  statusJson,
  TIMESTAMP_STATE,
  until,
  updateSettings,
  type ServeProcess,
} from '../helpers/serve.js';
import { tmpDir } from '../helpers/tmp.js';
import { dataDir } from '../helpers/data-dir.js';

const EVENT = 'event.backup_automatic_backup';
const MANAGER = 'sensor.backup_backup_manager_state';
const ATTEMPTED = 'sensor.backup_last_attempted_automatic_backup';
const SUCCESSFUL = 'sensor.backup_last_successful_automatic_backup';
const NEXT = 'sensor.backup_next_scheduled_automatic_backup';

/** Minutes after local midnight in `zone`. */
function localMinutes(zone: string, at: Date): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
  return get('hour') * 60 + get('minute');
}

/** A zone whose local time is far from the default run window 04:45–05:45 (plus margin). */
function zoneFarFromDefaultRun(now: Date): string {
  const zone = ['UTC', 'Asia/Tokyo', 'America/New_York'].find((z) => {
    const m = localMinutes(z, now);
    return m < 3 * 60 || m >= 7 * 60;
  });
  if (!zone) throw new Error('no suitable time zone');
  return zone;
}

/** How far ahead of this machine's clock the processes' clock runs: a few seconds before a minute boundary. */
function offsetToMinuteBoundary(leadMs: number): number {
  const toBoundary = 60_000 - (Date.now() % 60_000);
  return toBoundary - leadMs;
}

interface Interruption {
  seenStages: string[];
  statusDuring: Record<string, EntityState> | null;
  statusError: string | null;
  partialsAtKill: string[];
  tmpAtKill: string[];
  tarsAtKill: string[];
  exit: { code: number | null; signal: NodeJS.Signals | null };
  stderr: string;
}

describe('lifeboat serve', () => {
  let receiver: Receiver;
  let instA: string;
  let instB: string;
  let instD: string;
  let serveA: ServeProcess;
  let serveB: ServeProcess;
  let serveD: ServeProcess;
  let statusABefore: Record<string, EntityState>;
  let interruption: Promise<Interruption>;
  /** The processes' clock: this machine's plus `offset` ms. */
  let offset = 0;
  let env: NodeJS.ProcessEnv = {};
  const now = () => Date.now() + offset;

  /** Waits for D's backup to be running, looks at it from outside, then SIGTERMs serve. */
  async function interruptD(): Promise<Interruption> {
    const seenStages: string[] = [];
    await until(
      async () => {
        const s = await readStates(instD);
        const ev = s?.[EVENT];
        if (ev && ev.attributes.event_type) {
          const tag = `${String(ev.attributes.event_type)}/${String(ev.attributes.backup_stage)}`;
          if (seenStages.at(-1) !== tag) seenStages.push(tag);
        }
        return s?.[MANAGER]?.state === 'create_backup' && ev?.attributes.event_type === 'in_progress' && ev.attributes.backup_stage === 'home_assistant';
      },
      { timeoutMs: 60_000, intervalMs: 25, what: "D's automatic backup to start" },
    );
    let statusDuring: Record<string, EntityState> | null = null;
    let statusError: string | null = null;
    try {
      statusDuring = await statusJson(instD, env);
    } catch (err) {
      statusError = String(err);
    }
    await until(
      async () => {
        const f = await backupFiles(instD);
        return f.partials.length > 0 || f.tars.length > 0;
      },
      { timeoutMs: 30_000, intervalMs: 10, what: 'the backup file being written' },
    );
    const files = await backupFiles(instD);
    const tmpAtKill = await readdir(join(dataDir(instD), 'tmp')).catch(() => [] as string[]);
    serveD.child.kill('SIGTERM');
    const exit = await serveD.exited;
    return { seenStages, statusDuring, statusError, partialsAtKill: files.partials, tmpAtKill, tarsAtKill: files.tars, exit, stderr: serveD.stderr() };
  }

  beforeAll(async () => {
    receiver = await startReceiver();
    const root = await tmpDir('lifeboat-serve-');
    instA = join(root, 'a', 'config');
    instB = join(root, 'b', 'config');
    instD = join(root, 'd', 'demo');
    const every = { recurrence: 'daily', cron: '* * * * *' };
    // Settings first (any clock will do), then the clock of every process: serve starts about six
    // seconds before a minute boundary.
    await Promise.all([
      (async () => {
        await makeInstallation(instA);
        await updateSettings(instA, {
          automatic_backups_configured: true,
          create_backup: { agent_ids: ['backup.local'] },
          schedule: every,
          notifications: { webhook_url: receiver.url('/a/hook'), ntfy_url: receiver.url('/a/topic') },
        });
        statusABefore = await statusJson(instA);
      })(),
      (async () => {
        await makeInstallation(instB);
        await updateSettings(instB, {
          automatic_backups_configured: true,
          create_backup: { agent_ids: ['nowhere.x'] },
          schedule: every,
          notifications: { webhook_url: receiver.url('/b/hook'), ntfy_url: receiver.url('/b/topic') },
        });
      })(),
      (async () => {
        const init = await runCli(['demo', 'init', instD, '--db-mib', '256']);
        if (init.code !== 0) throw new Error(`demo init failed: ${init.stderr}`);
        await updateSettings(instD, { automatic_backups_configured: true, create_backup: { agent_ids: ['backup.local'] }, schedule: every });
      })(),
    ]);
    offset = offsetToMinuteBoundary(6000);
    env = clockAheadEnv(offset);
    serveA = startServe(instA, env);
    serveB = startServe(instB, env);
    serveD = startServe(instD, env);
    await Promise.all([serveA, serveB, serveD].map((s) => s.waitForLog((l) => l.msg === 'Lifeboat is serving')));
    interruption = interruptD();
    interruption.catch(() => undefined);
  }, 180_000);

  afterAll(async () => {
    await killAllServes();
    await receiver?.close();
  });

  it('creates an encrypted automatic backup on its own at the next minute and reports it through the entities', async () => {
    expect(statusABefore[EVENT]?.state).toBe('unknown');
    expect(statusABefore[ATTEMPTED]?.state).toBe('unknown');
    expect(statusABefore[SUCCESSFUL]?.state).toBe('unknown');
    const started = serveA.lines().find((l) => l.msg === 'Lifeboat is serving');
    const next = Date.parse(String(started?.next_automatic_backup));
    expect(next % 60_000).toBe(0);
    expect(next - now()).toBeLessThanOrEqual(60_000);

    const seen: string[] = [];
    await until(
      async () => {
        const ev = (await readStates(instA))?.[EVENT];
        if (ev?.attributes.event_type) {
          const tag = `${String(ev.attributes.event_type)}/${String(ev.attributes.backup_stage)}`;
          if (seen.at(-1) !== tag) seen.push(tag);
        }
        if (ev?.attributes.event_type === 'failed') {
          throw new Error(`A's automatic backup failed: ${JSON.stringify(ev.attributes)}; serve log:\n${serveA.stderr()}`);
        }
        return ev?.attributes.event_type === 'completed' && (await backupFiles(instA)).tars.length > 0;
      },
      // From the planned minute on (a start slowed by a busy machine may have missed the first one).
      { timeoutMs: Math.max(0, next - now()) + 40_000, intervalMs: 20, what: "A's automatic backup to complete" },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (planned for ${new Date(next).toISOString()}; seen: ${seen.join(' → ') || 'nothing'}); serve log:\n${serveA.stderr()}`);
    });
    expect(seen.at(-1)).toBe('completed/null');

    const { tars, partials } = await backupFiles(instA);
    expect(tars).toHaveLength(1);
    expect(partials).toEqual([]);
    const inspect = await runCli(['archive', 'inspect', tars[0] as string, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    const info = JSON.parse(inspect.stdout) as {
      backup: { protected: boolean; name: string; extra_metadata: Record<string, unknown> };
      inner: { name: string; encryption: string }[];
    };
    expect(info.inner).toEqual([expect.objectContaining({ name: 'homeassistant.tar.gz', encryption: 'v3' })]);
    expect(info.backup.protected).toBe(true);
    expect(info.backup.name).toBe('Automatic backup 2026.7.3');
    expect(info.backup.extra_metadata.with_automatic_settings).toBe(true);
    const config = await settingsJson(instA, env);
    expect(info.backup.extra_metadata['lifeboat.key_fingerprint']).toBe((config.lifeboat as { key_fingerprint: string }).key_fingerprint);

    const status = await statusJson(instA, env);
    expect(status[EVENT]?.state).toMatch(EVENT_STATE);
    expect(status[EVENT]?.attributes).toMatchObject({ event_type: 'completed', backup_stage: null, failed_reason: null });
    expect(status[MANAGER]?.state).toBe('idle');
    expect(status[ATTEMPTED]?.state).toMatch(TIMESTAMP_STATE);
    expect(status[SUCCESSFUL]?.state).toMatch(TIMESTAMP_STATE);
    expect(Date.parse(status[SUCCESSFUL]?.state as string)).toBeGreaterThanOrEqual(Date.parse(status[ATTEMPTED]?.state as string));
    expect(config.last_attempted_automatic_backup).toEqual(expect.any(String));
    expect(config.last_completed_automatic_backup).toEqual(expect.any(String));

    // Serve's log is JSON lines without warnings or errors (that the success notified nobody is
    // checked once A's serve has stopped, in the next test).
    const lines = serveA.lines();
    expect(lines.filter((l) => l.level === -1)).toEqual([]);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
  }, 120_000);

  it('follows a schedule change at once and keeps settings, entity states and the next run across a restart', async () => {
    const zone = zoneFarFromDefaultRun(new Date(now()));
    await updateSettings(instA, { schedule: { recurrence: 'daily' }, time_zone: zone }, env);
    // The running serve notices the new settings file and plans 04:45 + a random delay in `zone`.
    const planned = await until(
      async () => {
        const saved = JSON.parse(await readFile(join(dataDir(instA), 'schedule.json'), 'utf8').catch(() => '{}')) as { next?: string | null };
        if (!saved.next) return null;
        const at = new Date(saved.next);
        const m = localMinutes(zone, at);
        return m >= 4 * 60 + 45 && m < 5 * 60 + 45 && at.getTime() > now() ? saved.next : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'serve to reschedule after the settings change' },
    );
    const before = await settingsJson(instA, env);
    expect(before.next_automatic_backup).toBe(planned);
    expect(before.schedule).toEqual({ recurrence: 'daily', days: [], time: null, cron: null });
    expect(before.time_zone).toBe(zone);
    const statusBefore = await statusJson(instA, env);
    expect(statusBefore[NEXT]?.state).toBe(new Date(planned).toISOString().replace(/\.\d{3}Z$/, '+00:00'));

    const exit = await serveA.stop();
    expect(exit).toEqual({ code: 0, signal: null });
    expect(serveA.lines().map((l) => l.msg)).toContain('Stopped');
    // A's successful automatic backup notified nobody (its serve has stopped: nothing is pending).
    expect(receiver.requests.filter((r) => r.path.startsWith('/a/'))).toEqual([]);

    serveA = startServe(instA, env);
    const serving = await serveA.waitForLog((l) => l.msg === 'Lifeboat is serving');
    expect(serving.next_automatic_backup).toBe(planned);
    const after = await settingsJson(instA, env);
    expect(after).toEqual(before);
    const statusAfter = await statusJson(instA, env);
    for (const id of [EVENT, ATTEMPTED, SUCCESSFUL, NEXT, MANAGER]) expect(statusAfter[id], id).toEqual(statusBefore[id]);
    expect(statusAfter[EVENT]?.attributes.event_type).toBe('completed');
  }, 60_000);

  it('reports a failed automatic backup (only an unavailable location) to the entities, the webhook and ntfy', async () => {
    const hook = await receiver.waitFor((r) => r.path === '/b/hook', 30_000);
    const ntfy = await receiver.waitFor((r) => r.path === '/b/topic', 10_000);
    expect(hook.method).toBe('POST');
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(body).toMatchObject({ source: 'lifeboat', kind: 'automatic_backup_failed', title: 'Automatic backup failed', priority: 'high' });
    expect(body.reason).toEqual(expect.any(String));
    expect(String(body.message)).toContain(String(body.reason));
    expect(String(body.message)).toContain('nowhere.x');
    expect(ntfy.method).toBe('POST');
    expect(ntfy.headers.title).toBe('Automatic backup failed');
    expect(ntfy.headers.priority).toBe('high');
    expect(ntfy.body).toBe(body.message);

    const status = await until(
      async () => {
        const s = await statusJson(instB, env);
        return s[EVENT]?.attributes.event_type === 'failed' ? s : null;
      },
      { timeoutMs: 10_000, what: "B's event entity to show the failure" },
    );
    expect(status[EVENT]?.state).toMatch(EVENT_STATE);
    expect(status[EVENT]?.attributes).toMatchObject({ event_type: 'failed', backup_stage: null, failed_reason: body.reason });
    expect(status[MANAGER]?.state).toBe('idle');
    expect(status[ATTEMPTED]?.state).toMatch(TIMESTAMP_STATE);
    expect(status[SUCCESSFUL]?.state).toBe('unknown');
    expect((await backupFiles(instB)).tars).toEqual([]);
    expect(serveB.lines().some((l) => l.level >= 50 && l.msg === 'The automatic backup could not run')).toBe(true);
  }, 150_000);

  it('abandons a running backup on SIGTERM: exit code 0, no partial backup file, nothing left in .lifeboat/tmp', async () => {
    const r = await interruption;
    // The backup was observed running from outside, and SIGTERM came while its file was being written.
    expect(r.seenStages).toContain('in_progress/home_assistant');
    expect(r.tarsAtKill, 'the backup finished before SIGTERM; use a bigger demo database').toEqual([]);
    expect(r.partialsAtKill.length + r.tmpAtKill.length).toBeGreaterThan(0);
    expect(r.exit, r.stderr).toEqual({ code: 0, signal: null });

    const { tars, partials } = await backupFiles(instD);
    expect(partials).toEqual([]);
    expect(tars).toEqual([]);
    expect(await readdir(join(dataDir(instD), 'tmp'))).toEqual([]);
    const left = await readdir(dataDir(instD));
    expect(left).not.toContain('operation.lock');
    expect(left).not.toContain('serve.lock');

    const states = await readStates(instD);
    expect(states?.[EVENT]?.attributes).toMatchObject({ event_type: 'failed', failed_reason: 'aborted' });
    expect(states?.[MANAGER]?.state).toBe('idle');
    expect(states?.[SUCCESSFUL]?.state).toBe('unknown');
  }, 200_000);

  it('shows a running automatic backup in `lifeboat status` while serve is creating it', async () => {
    // `status` opens its own BackupManager, which emits `idle` on open; the CLI's EntityTracker
    // applies it on top of the states serve saved, prints `idle` and writes it back to entities.json.
    const r = await interruption;
    expect(r.statusError).toBeNull();
    expect(r.statusDuring?.[MANAGER]?.state).toBe('create_backup');
    expect(r.statusDuring?.[EVENT]?.attributes.event_type).toBe('in_progress');
  }, 200_000);
});
