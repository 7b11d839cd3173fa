// An SFTP server for tests: OpenSSH's sshd with a config of its own in a temp folder, on a free
// port of 127.0.0.1, with a test user (created here if missing: password field `*`, so key logins
// work without PAM; a password is set for password logins). The user's authorized_keys lives in
// its home, as StrictModes wants. Needs root; `start()` throws SkipReason otherwise.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startDaemon } from './net-helpers.js';

export const SFTP_USER = 'lifeboat-sftp';
export const SFTP_PASSWORD = 'sftp-test-password';

export class SkipReason extends Error {}

export interface SshServer {
  host: string;
  port: number;
  username: string;
  password: string;
  privateKey: string;
  /** A key that is not authorized. */
  otherPrivateKey: string;
  /** The host key's fingerprint as Lifeboat pins it (SHA256:…). */
  hostKeyFingerprint: string;
  /** A fresh folder (relative to the user's home) for this server's tests. */
  path: string;
  /** What sshd logged so far (logins accepted and failed, connections closed before login). */
  log(): Promise<string>;
  home: string;
  /** SIGKILLs sshd and every session it runs. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function userHome(user: string): string | null {
  const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split(':')[5] ?? null;
}

async function ensureUser(): Promise<{ home: string; uid: number; gid: number }> {
  let home = userHome(SFTP_USER);
  if (!home) {
    const r = spawnSync('useradd', ['--create-home', '--shell', '/bin/sh', SFTP_USER], { encoding: 'utf8' });
    home = userHome(SFTP_USER);
    if (!home) throw new Error(`useradd ${SFTP_USER} failed: ${r.stderr}`);
  }
  // `*`: no usable password hash but not locked (a `!` account is refused even for keys); then a
  // real password for password logins.
  spawnSync('usermod', ['-p', '*', SFTP_USER]);
  spawnSync('sh', ['-c', `echo '${SFTP_USER}:${SFTP_PASSWORD}' | chpasswd`]);
  const uid = Number(run('id', ['-u', SFTP_USER]).trim());
  const gid = Number(run('id', ['-g', SFTP_USER]).trim());
  await chmod(home, 0o755);
  return { home, uid, gid };
}

async function keyPair(dir: string, name: string): Promise<{ privateKey: string; publicKey: string }> {
  const file = join(dir, name);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { privateKey: await readFile(file, 'utf8'), publicKey: await readFile(`${file}.pub`, 'utf8') };
}

export async function start(): Promise<SshServer> {
  if (process.getuid?.() !== 0) throw new SkipReason('the SFTP tests need root (to run sshd and create the test user)');
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const state = await mkdtemp(join(tmpdir(), 'lifeboat-sshd-'));
  const { home, uid, gid } = await ensureUser();
  const client = await keyPair(state, 'client_key');
  const other = await keyPair(state, 'other_key');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(state, 'host_key')]);
  const hostFp = run('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(state, 'host_key.pub')]).split(' ')[1] as string;

  const sshDir = join(home, '.ssh');
  await mkdir(sshDir, { recursive: true, mode: 0o700 });
  const authorized = join(sshDir, 'authorized_keys');
  const existing = await readFile(authorized, 'utf8').catch(() => '');
  await writeFile(authorized, `${existing}${client.publicKey}`, { mode: 0o600 });
  await chown(sshDir, uid, gid);
  await chmod(sshDir, 0o700);
  await chown(authorized, uid, gid);
  const path = `backups-${process.pid}-${Date.now().toString(36)}`;

  const port = await freePort();
  const config = join(state, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(state, 'host_key')}`,
      `PidFile ${join(state, 'sshd.pid')}`,
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'StrictModes yes',
      `AllowUsers ${SFTP_USER}`,
      'Subsystem sftp internal-sftp',
      'MaxStartups 50',
      'MaxSessions 50',
      '',
    ].join('\n'),
  );
  const daemon = await startDaemon(() => run('/usr/sbin/sshd', ['-f', config, '-E', join(state, 'sshd.log')]), join(state, 'sshd.pid'), port);
  return {
    host: '127.0.0.1',
    port,
    username: SFTP_USER,
    password: SFTP_PASSWORD,
    privateKey: client.privateKey,
    otherPrivateKey: other.privateKey,
    hostKeyFingerprint: hostFp,
    path,
    home,
    log: () => readFile(join(state, 'sshd.log'), 'utf8').catch(() => ''),
    kill: () => daemon.kill(),
    restart: () => daemon.restart(),
    stop: async () => {
      await daemon.kill();
      await rm(join(home, path), { recursive: true, force: true });
      const keys = await readFile(authorized, 'utf8').catch(() => '');
      await writeFile(authorized, keys.split('\n').filter((l) => l && !l.includes(client.publicKey.trim())).map((l) => `${l}\n`).join(''));
      await rm(state, { recursive: true, force: true });
    },
  };
}
