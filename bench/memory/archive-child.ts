// One measured process for bench/memory-bench.ts: writes an encrypted backup of a synthetic
// installation of `<mib>` MiB (half noise, half text), verifies it, and prints one JSON line with
// the backup's size and what verification found. Its peak RSS is written by bench/rss-probe.mjs.
//
//   node --import tsx --import bench/rss-probe.mjs bench/memory/archive-child.ts <mib> <work dir>

import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withBackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import type { InnerEntry } from '../../src/archive/inner-tar-writer.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { numbered, streamedFile } from '../../test/helpers/streamed-entry.js';

const MiB = 1 << 20;
const totalMiB = Number(process.argv[2]);
const work = process.argv[3];
if (!Number.isInteger(totalMiB) || totalMiB < 2 || !work) {
  process.stderr.write('usage: archive-child <mib> <work dir>\n');
  process.exit(2);
}
const noise = randomBytes(MiB);
const text = Buffer.from(Array.from({ length: 100000 }, (_, i) => `state ${i % 977} ${(i * 31) % 1013}\n`).join('')).subarray(0, MiB);

async function* entries(): AsyncGenerator<InnerEntry> {
  yield { path: 'data', type: 'directory', mode: 0o755, mtimeNs: 0n };
  const half = Math.floor(totalMiB / 2);
  yield streamedFile('data/media.bin', half, numbered(noise));
  yield streamedFile('data/home-assistant_v2.db', totalMiB - half, numbered(text));
}

const dir = await mkdtemp(join(work, 'archive-'));
try {
  const out = join(dir, 'b.tar');
  const written = await writeBackupFile(out, {
    entries: entries(),
    password: 'bench-key',
    meta: { date: '2026-01-01T00:00:00+00:00', name: 'm', haVersion: '2026.7.3', instanceId: '0'.repeat(32), withAutomaticSettings: false, excludeDatabase: false },
  });
  const report = await withBackupReader(out, (r) => verifyBackup(r, 'bench-key'));
  process.stdout.write(`${JSON.stringify({ size: written.size, problems: report.problems, bytes: report.members[0]?.bytes ?? 0 })}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
