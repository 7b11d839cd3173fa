// A 1 GiB backup streams up to every kind of location and back, byte for byte, with the digest a
// verifying location records. (Memory during such streams is measured by bench/memory-bench.ts.)

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SkipReason } from '../servers/sshd.js';
import { SUBJECTS, syntheticBackup, useSubject } from './location-targets.js';

const MiB = 1024 * 1024;

describe.each(SUBJECTS)('%s location', (kind) => {
  const subject = useSubject(kind);

  it('streams a 1 GiB backup up and down, byte for byte', async (ctx) => {
    let s;
    try {
      s = subject();
    } catch (err) {
      if (!(err instanceof SkipReason)) throw err;
      ctx.skip(err.message);
      return;
    }
    const { agent, keepsRecords } = s;
    const chunks = 1024;
    const { backup, open } = syntheticBackup('aa000006', 8, MiB, chunks);
    const expected = createHash('sha256');
    for await (const c of open()) expected.update(c);
    const want = expected.digest('hex');
    await agent.upload(backup, open);
    const got = createHash('sha256');
    let size = 0;
    for await (const c of await agent.download('aa000006')) {
      got.update(c);
      size += c.length;
    }
    expect(size).toBe(backup.size);
    expect(size).toBeGreaterThan(chunks * MiB);
    expect(got.digest('hex')).toBe(want);
    expect(await agent.capabilities.recordedDigest?.('aa000006')).toBe(keepsRecords ? want : null);
    await agent.delete('aa000006');
  }, 300_000);
});
