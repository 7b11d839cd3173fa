// The upload size limit refuses a larger backup, and keeps nothing of it: the multipart parser is
// given one byte more than the limit, so it never cuts the file at the limit and passes it on as if
// it were whole. The limit here ends a real backup right after its last member, where the outer
// tar is still readable without its end marker: a cut there once stored that backup, then said 413.

import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { multipartUpload } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, startServerInProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree } from '../helpers/tree.js';

/** Where a tar's members end: the block after its last non-zero byte. */
function endOfMembers(tar: Buffer): number {
  let last = tar.length - 1;
  while (last >= 0 && tar[last] === 0) last--;
  return Math.ceil((last + 1) / 512) * 512;
}

describe('the upload size limit', () => {
  let inst: string;
  let backup: Buffer;
  let limit: number;
  let server: LifeboatServer;
  let token: string;

  beforeAll(async () => {
    const dir = await tmpDir('lifeboat-upload-limit-');
    inst = join(dir, 'config');
    await makeInstallation(inst);
    const src = join(dir, 'src');
    await makeTree(src, { '.HA_VERSION': '2026.7.3', 'configuration.yaml': 'homeassistant:\n  name: Limit\n' });
    const file = join(dir, 'limit.tar');
    const packed = await runCli(['archive', 'pack', src, file, '--name', 'Limit']);
    expect(packed.code, packed.stderr).toBe(0);
    backup = await readFile(file);
    limit = endOfMembers(backup);
    expect(limit).toBeLessThan(backup.length);
    token = await createToken(inst, 'admin');
    server = await startServerInProcess({ installation: inst, maxUploadBytes: limit });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('refuses a backup larger than the limit with 413 and keeps nothing of it', async () => {
    const before = (await readdir(join(inst, 'backups'))).sort();
    const res = await multipartUpload(`${server.url}/api/backup/upload?agent_id=backup.local`, backup, { token, fileName: 'limit.tar' });
    expect(res.status, res.text()).toBe(413);
    expect(res.json()).toEqual({ code: 'upload_too_large', message: expect.any(String) });
    expect((await readdir(join(inst, 'backups'))).sort()).toEqual(before);
  });

  it('takes a backup of exactly the limit', async () => {
    const res = await multipartUpload(`${server.url}/api/backup/upload?agent_id=backup.local`, backup.subarray(0, limit), { token, fileName: 'limit.tar' });
    expect(res.status, res.text()).toBe(201);
  });
});
