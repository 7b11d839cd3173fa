// Digests of uploads: a verifying location records the SHA-256 the caller gives instead of hashing
// the stream again (and still catches a copy that does not match it); one that does not verify
// takes and records none; in the fan-out, locations that get the file as is share one digest of
// it, and every record is right.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLocationAgent, createStoredAgent } from '../../src/agents/location-registry.js';
import { VerificationError } from '../../src/agents/agent-errors.js';
import { openManager } from '../helpers/manager.js';
import { collect } from '../../src/util/chunks.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { startTarget } from './location-targets.js';

async function managerWithBackup() {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  const manager = await openManager({ installation: inst, timeZone: 'UTC' });
  return { manager, inst };
}

const sha256Of = async (path: string) => createHash('sha256').update(await readFile(path)).digest('hex');

describe('known digests', () => {
  it('a location that verifies records the digest it is given, without hashing the stream', async () => {
    const { manager } = await managerWithBackup();
    const created = await manager.create();
    const target = await startTarget('folder');
    const stored = createStoredAgent({ ...target.spec, verify: true }, target.secrets);
    try {
      const given = 'ab'.repeat(32); // not the file's digest: only a recorded, unhashed value can come out as this
      await stored.upload(created.backup, () => createReadStream(created.path as string), { sha256: async () => given });
      expect((await stored.capabilities.recordedDigest?.(created.backupId))).toBe(given);
    } finally {
      await stored.close();
    }
  });

  it('a location that does not verify takes no digest, records none, and its copy still downloads whole', async () => {
    const { manager } = await managerWithBackup();
    const created = await manager.create();
    const target = await startTarget('folder');
    const { agent, close } = createLocationAgent({ ...target.spec, verify: false }, target.secrets);
    try {
      let asked = false;
      const sha256 = async () => {
        asked = true;
        return 'ab'.repeat(32);
      };
      await agent.upload(created.backup, () => createReadStream(created.path as string), { sha256 });
      expect(asked).toBe(false);
      // The wrappers pass the location's capabilities through.
      expect((await agent.capabilities.recordedDigest?.(created.backupId))).toBeNull();
      const copy = await collect(await agent.download(created.backupId));
      expect(copy.equals(await readFile(created.path as string))).toBe(true);
    } finally {
      await close();
    }
  });

  it('with verification on, a given digest that does not match the bytes fails the copy and leaves nothing listed', async () => {
    const { manager } = await managerWithBackup();
    const created = await manager.create();
    const target = await startTarget('folder');
    const { agent, close } = createLocationAgent({ ...target.spec, verify: true }, target.secrets, { retry: { attempts: 1 } });
    try {
      const wrong = 'cd'.repeat(32);
      await expect(
        agent.upload(created.backup, () => createReadStream(created.path as string), { sha256: async () => wrong }),
      ).rejects.toBeInstanceOf(VerificationError);
      expect(await agent.list()).toEqual([]);
      const right = await sha256Of(created.path as string);
      await agent.upload(created.backup, () => createReadStream(created.path as string), { sha256: async () => right });
      expect((await agent.list()).map((b) => b.backup_id)).toEqual([created.backupId]);
    } finally {
      await close();
    }
  });

  it('the fan-out gives two locations that take the file as is the same, correct digest', async () => {
    const { manager } = await managerWithBackup();
    const targets = [await startTarget('folder'), await startTarget('folder')];
    const agents = targets.map((t) => createLocationAgent(t.spec, t.secrets));
    try {
      for (const a of agents) manager.registerAgent(a.agent);
      const created = await manager.create({ agentIds: ['backup.local', ...targets.map((t) => t.spec.id)] });
      expect(created.failedAgentIds).toEqual([]);
      const expected = await sha256Of(created.path as string);
      for (const a of agents) {
        expect((await a.agent.capabilities.recordedDigest?.(created.backupId))).toBe(expected);
      }
    } finally {
      for (const a of agents) await a.close();
    }
  });
});
