// A failed S3 multipart upload is reported with its own error, even on a server that refuses the
// clean-up (s3rver does not implement AbortMultipartUpload): a transient failure stays transient,
// so it is retried, and nothing is listed.
import { describe, expect, it } from 'vitest';
import { isTransient } from '../../src/agents/agent-errors.js';
import { createStoredAgent } from '../../src/agents/location-registry.js';
import type { AgentBackup } from '../../src/archive/backup-json.js';
import { useTarget } from './location-targets.js';

const MiB = 1 << 20;

describe('S3 upload failures', () => {
  const s3 = useTarget('s3');

  it('reports a connection reset mid-upload as such (transient), not the refused clean-up', async () => {
    const agent = createStoredAgent(s3().spec, s3().secrets);
    const backup = { backup_id: 'c1eanup1', name: 'x', date: '2026-11-26T00:00:00.000000+00:00', size: 40 * MiB } as unknown as AgentBackup;
    async function* failing(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 20; i++) yield Buffer.alloc(MiB, i);
      throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    }
    try {
      const err = await agent.upload(backup, () => failing()).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).not.toBeNull();
      expect(String(err)).toMatch(/ECONNRESET/);
      expect(isTransient(err)).toBe(true);
      expect((await agent.list()).map((b) => b.backup_id)).not.toContain('c1eanup1');
    } finally {
      await agent.close();
    }
  });
});
