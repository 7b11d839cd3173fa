// A backup of more than 1 GiB over HTTP against a real `lifeboat serve` child process: uploaded
// (streamed to disk, stored byte for byte), downloaded as stored (the same bytes) and decrypted
// (parsed as it streams: unprotected backup.json, the inner archive's plaintext matching the digest
// recorded when the backup was written). The server's memory meanwhile is measured by
// bench/memory-bench.ts.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { digestExtraKey } from '../../src/archive/backup-json.js';
import { downloadHashed, multipartUpload, openRequest } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

describe('a backup of more than 1 GiB', () => {
  let server: LifeboatServer | null = null;

  afterAll(async () => {
    await server?.stop();
  });

  it('uploads, downloads as stored and decrypted, byte-exact', async () => {
    const started = Date.now();
    const dir = await tmpDir('lifeboat-big-');
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const token = await createToken(inst, 'admin');
    const bigFile = join(dir, 'big.tar');
    const password = 'BIG0-KEY1-2345-6789';

    // Build the backup in a child process (memory and worker threads of its own).
    const made = await new Promise<{ backupId: string; size: number; plaintextSha256: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/big-backup-child.ts'), bigFile, '1040', password], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop() as string)) : reject(new Error(err))));
    });
    expect(made.size).toBeGreaterThanOrEqual(1024 ** 3);
    const built = Date.now();

    server = await startServerProcess({ installation: inst });

    // Upload, hashing the bytes on their way out.
    const sent = createHash('sha256');
    const up = await multipartUpload(`${server.url}/api/backup/upload?agent_id=backup.local`, bigFile, {
      token,
      fileName: 'big.tar',
      onFileChunk: (c) => sent.update(c),
    });
    const uploadedSha = sent.digest('hex');
    expect(up.status, up.text()).toBe(201);
    expect(up.json()).toEqual({ backup_id: made.backupId });
    const stored = (await readdir(join(inst, 'backups'))).filter((n) => n.endsWith('.tar'));
    expect(stored).toHaveLength(1);
    expect((await stat(join(inst, 'backups', stored[0] as string))).size).toBe(made.size);
    const uploaded = Date.now();

    // As stored: the same bytes.
    const asStored = await downloadHashed(`${server.url}/api/backup/download/${made.backupId}?agent_id=backup.local`, { token });
    expect(asStored.status).toBe(200);
    expect(asStored.bytes).toBe(made.size);
    expect(asStored.sha256).toBe(uploadedSha);
    const downloadedStored = Date.now();

    // Decrypted: parsed as it streams — backup.json says unprotected, and the inner archive's
    // plaintext matches the digest recorded when the backup was written.
    const res = await openRequest(`${server.url}/api/backup/download/${made.backupId}?agent_id=backup.local&password=${encodeURIComponent(password)}`, { token });
    expect(res.statusCode).toBe(200);
    const members: Record<string, { size: number; sha256: string }> = {};
    let backupJson: Record<string, unknown> | null = null;
    const extract = tarExtract();
    extract.on('entry', (header, stream, next) => {
      const hash = createHash('sha256');
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (data: unknown) => {
        const c = data as Buffer;
        hash.update(c);
        size += c.length;
        if (header.name.endsWith('backup.json')) chunks.push(c);
      });
      stream.on('end', () => {
        members[header.name] = { size, sha256: hash.digest('hex') };
        if (header.name.endsWith('backup.json')) backupJson = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        next();
      });
    });
    await pipeline(res, extract);
    const downloadedDecrypted = Date.now();
    expect(backupJson).not.toBeNull();
    const json = backupJson as unknown as { protected: boolean; slug: string; extra: Record<string, string> };
    expect(json.protected).toBe(false);
    expect(json.slug).toBe(made.backupId);
    expect(Object.keys(members).sort()).toEqual(['./backup.json', 'homeassistant.tar.gz']);
    expect(members['homeassistant.tar.gz']?.sha256).toBe(made.plaintextSha256);
    expect(json.extra[digestExtraKey('homeassistant.tar.gz')]).toBe(made.plaintextSha256);
    expect(members['homeassistant.tar.gz']!.size).toBeGreaterThan(1024 ** 3);

    console.log(
      `1 GiB upload/download: backup ${(made.size / 1024 ** 3).toFixed(3)} GiB; build ${((built - started) / 1000).toFixed(1)} s, ` +
        `upload ${((uploaded - built) / 1000).toFixed(1)} s, download as stored ${((downloadedStored - uploaded) / 1000).toFixed(1)} s, ` +
        `decrypted ${((downloadedDecrypted - downloadedStored) / 1000).toFixed(1)} s`,
    );
  }, 240_000);
});
