// Child process for the memory test: writes (and then verifies) a backup of a synthetic
// installation of the requested size and prints its peak RSS. Run with `node --import tsx`.

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import type { InnerEntry } from '../../src/archive/inner-tar-writer.js';
import { verifyBackup } from '../../src/archive/verify.js';

const MiB = 1 << 20;
const totalMiB = Number(process.argv[2] ?? 64);
const noise = randomBytes(MiB);
const text = Buffer.from(Array.from({ length: 100000 }, (_, i) => `state ${i % 977} ${(i * 31) % 1013}\n`).join('')).subarray(0, MiB);

function file(path: string, mib: number, chunk: Buffer): InnerEntry {
  return {
    path,
    type: 'file',
    mode: 0o644,
    mtimeNs: 1_700_000_000_000_000_000n,
    size: mib * MiB,
    data: async function* () {
      for (let i = 0; i < mib; i++) {
        const c = Buffer.from(chunk);
        c.writeUInt32LE(i, 0);
        yield c;
      }
    },
  };
}

async function* entries(): AsyncGenerator<InnerEntry> {
  yield { path: 'data', type: 'directory', mode: 0o755, mtimeNs: 0n };
  const half = Math.floor(totalMiB / 2);
  yield file('data/media.bin', half, noise);
  yield file('data/home-assistant_v2.db', totalMiB - half, text);
}

const dir = await mkdtemp(join(tmpdir(), 'lifeboat-mem-'));
try {
  const out = join(dir, 'b.tar');
  const written = await writeBackupFile(out, {
    entries: entries(),
    password: 'pw',
    meta: { date: '2026-01-01T00:00:00+00:00', name: 'm', haVersion: '2026.7.3', instanceId: '0'.repeat(32), withAutomaticSettings: false, excludeDatabase: false },
  });
  const report = await withBackupReader(out, (r) => verifyBackup(r, 'pw'));
  process.stdout.write(
    `${JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS, size: written.size, problems: report.problems.length, bytes: report.members[0]?.bytes })}\n`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
