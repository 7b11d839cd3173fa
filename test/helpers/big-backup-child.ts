// Child process for the large upload/download test: writes an encrypted Home Assistant backup of
// `<mib>` MiB of incompressible data (so the file itself is at least that large) to `<out>`, fast
// (gzip level 1), and prints one JSON line with its id, size and recorded plaintext digest.
// Run with `node --import tsx test/helpers/big-backup-child.ts <out> <mib> <password>`.

import { randomBytes } from 'node:crypto';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import type { InnerEntry } from '../../src/archive/inner-tar-writer.js';
import { streamedFile } from './streamed-entry.js';

const MiB = 1 << 20;
const [out, mibText, password] = process.argv.slice(2);
if (!out || !mibText || password === undefined) {
  process.stderr.write('usage: big-backup-child <out> <mib> <password>\n');
  process.exit(2);
}
const totalMiB = Number(mibText);
const noise = randomBytes(MiB);

/** Noise with a changing prefix and middle: deflate's 32 KiB window never sees a repeat. */
function block(i: number): Buffer {
  const c = Buffer.from(noise);
  c.writeUInt32LE(i, 0);
  c.writeUInt32LE(Math.imul(i, 2654435761) >>> 0, 40_000);
  return c;
}

async function* entries(): AsyncGenerator<InnerEntry> {
  yield { path: 'data', type: 'directory', mode: 0o755, mtimeNs: 0n };
  yield { path: 'data/configuration.yaml', type: 'file', mode: 0o644, mtimeNs: 0n, size: 14, data: Buffer.from('homeassistant:') };
  yield streamedFile('data/www/camera-archive.bin', totalMiB, block);
}

const written = await writeBackupFile(out, {
  entries: entries(),
  password,
  level: 1,
  meta: { date: '2026-03-01T04:45:00.000000+01:00', name: 'Big upload', haVersion: '2026.7.3', instanceId: 'f'.repeat(32), withAutomaticSettings: false, excludeDatabase: true },
});
process.stdout.write(`${JSON.stringify({ backupId: written.backup.backup_id, size: written.size, plaintextSha256: written.sha256 })}\n`);
