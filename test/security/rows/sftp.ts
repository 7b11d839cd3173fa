// An SSH server Lifeboat has not been told to trust (a man in the middle on the first connection):
// `location add` refuses it and shows the fingerprint to check, and sends no password to it; once
// the key is given, the same command logs in.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { makeInstallation } from '../../helpers/installation.js';
import { tmpDir } from '../../helpers/tmp.js';
import { start as startSshd } from '../../servers/sshd.js';
import type { AttackRow } from '../attack-row.js';

export const rows: AttackRow[] = [
  {
    attack: 'an SSH server whose host key was never confirmed, offered the password on the first connection',
    async prove() {
      const server = await startSshd();
      try {
        const dir = await tmpDir();
        const inst = join(dir, 'config');
        await makeInstallation(inst);
        const passwordFile = join(dir, 'password');
        await writeFile(passwordFile, `${server.password}\n`, { mode: 0o600 });
        const args = ['-c', inst, 'location', 'add', 'sftp', 'Box', '--host', server.host, '--port', String(server.port), '--username', server.username, '--path', server.path];
        const refused = await runCli([...args, '--password-file', passwordFile]);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain(`presented the host key ${server.hostKeyFingerprint}`);
        expect(refused.stderr).toContain(`--host-key ${server.hostKeyFingerprint}`);
        expect(await server.log()).not.toMatch(/(Accepted|Failed) password/);
        const list = await runCli(['-c', inst, 'location', 'list', '--json']);
        expect(JSON.parse(list.stdout)).toEqual({ locations: [] });

        const pinned = await runCli([...args, '--host-key', server.hostKeyFingerprint, '--password-file', passwordFile]);
        expect(pinned.code, pinned.stderr).toBe(0);
        expect(await server.log()).toMatch(/Accepted password for lifeboat-sftp/);
      } finally {
        await server.stop();
      }
    },
  },
];
