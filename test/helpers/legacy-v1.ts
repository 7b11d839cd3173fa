// Wraps the third-party SecureTar v1 inner archive in a Core-style backup whose backup.json
// expects it (named homeassistant.tar.gz), to exercise v1 paths that need an expected archive.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { backupJsonHeader, endOfArchive, memberHeader, paddingFor } from '../../src/archive/outer-tar.js';
import { fixture } from './paths.js';

export async function writeLegacyV1Backup(dir: string): Promise<string> {
  const reader = await BackupReader.open(fixture('third-party/test_protected.tar'));
  try {
    const inner = reader.innerArchives()[0]!;
    const data = await reader.source.read(inner.member.dataOffset, inner.member.size);
    const json = Buffer.from(
      JSON.stringify({ ...reader.json, slug: 'v1v1v1v1', homeassistant: { version: '2025.5.1', exclude_database: true } }),
    );
    const parts = [
      backupJsonHeader(json.length, 0),
      json,
      paddingFor(json.length),
      memberHeader('homeassistant.tar.gz', data.length, 0),
      data,
      paddingFor(data.length),
    ];
    const body = Buffer.concat(parts);
    const file = join(dir, 'legacy-v1.tar');
    await writeFile(file, Buffer.concat([body, endOfArchive(body.length)]));
    return file;
  } finally {
    await reader.close();
  }
}
