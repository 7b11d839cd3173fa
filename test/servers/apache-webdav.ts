// A WebDAV server for tests: Apache 2.4 with mod_dav_fs from a minimal config of its own in a temp
// folder, on a free port of 127.0.0.1, Basic authentication from an htpasswd file.

import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDaemon } from './net-helpers.js';

const MODULES = '/usr/lib/apache2/modules';
export const DAV_USER = 'lifeboat';
export const DAV_PASSWORD = 'dav-test-password';

export interface WebdavServer {
  url: string;
  port: number;
  username: string;
  password: string;
  /** Where the served files are on disk. */
  root: string;
  /** SIGKILLs Apache and its workers. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function webUser(): { uid: number; gid: number; name: string } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    return { uid: Number(execFileSync('id', ['-u', 'www-data'], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).trim()), name: 'www-data' };
  } catch {
    return null;
  }
}

export async function start(): Promise<WebdavServer> {
  const state = await mkdtemp(join(tmpdir(), 'lifeboat-apache-'));
  await chmod(state, 0o755);
  const root = join(state, 'dav');
  await mkdir(root);
  await mkdir(join(state, 'lock'));
  const user = webUser();
  if (user) {
    await chown(root, user.uid, user.gid);
    await chown(join(state, 'lock'), user.uid, user.gid);
  }
  execFileSync('htpasswd', ['-b', '-c', '-B', join(state, 'htpasswd'), DAV_USER, DAV_PASSWORD], { stdio: 'ignore' });
  await chmod(join(state, 'htpasswd'), 0o644);
  const port = await freePort();
  const config = join(state, 'httpd.conf');
  await writeFile(
    config,
    [
      'ServerRoot /etc/apache2',
      `Listen 127.0.0.1:${port}`,
      'ServerName 127.0.0.1',
      `PidFile ${join(state, 'httpd.pid')}`,
      `DefaultRuntimeDir ${state}`,
      `ErrorLog ${join(state, 'error.log')}`,
      'LogLevel warn',
      ...['mpm_event', 'authn_core', 'authz_core', 'auth_basic', 'authn_file', 'authz_user', 'dav', 'dav_fs'].map(
        (m) => `LoadModule ${m}_module ${MODULES}/mod_${m}.so`,
      ),
      ...(user ? [`User ${user.name}`, `Group ${user.name}`] : []),
      `DAVLockDB ${join(state, 'lock', 'davlock')}`,
      'LimitRequestBody 0',
      'Timeout 60',
      'KeepAlive On',
      `DocumentRoot ${root}`,
      `<Directory ${root}>`,
      '  Dav On',
      '  AuthType Basic',
      '  AuthName "lifeboat"',
      `  AuthUserFile ${join(state, 'htpasswd')}`,
      '  Require valid-user',
      '  Options None',
      '  AllowOverride None',
      '</Directory>',
      'DavDepthInfinity On',
      '',
    ].join('\n'),
  );
  const daemon = await startDaemon(
    () => execFileSync('/usr/sbin/apache2', ['-f', config, '-k', 'start'], { stdio: 'inherit' }),
    join(state, 'httpd.pid'),
    port,
  );
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    username: DAV_USER,
    password: DAV_PASSWORD,
    root,
    kill: () => daemon.kill(),
    restart: () => daemon.restart(),
    stop: async () => {
      await daemon.kill();
      await rm(state, { recursive: true, force: true });
    },
  };
}
