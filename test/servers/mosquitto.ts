// A real Mosquitto 2 broker for tests: its own config on 127.0.0.1, a free port (or a given one,
// to restart a stopped broker where it was), anonymous access off, a password file made with
// mosquitto_passwd, a state folder owned by the `mosquitto` user when running as root. Started as
// a daemon; stopped by its pid. With `tls`, a second listener speaks MQTT over TLS with a test CA
// and requires a client certificate signed by it.

import { execFile } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net-helpers.js';

const run = promisify(execFile);

export interface TestCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export interface Mosquitto {
  /** mqtt://127.0.0.1:PORT */
  url: string;
  port: number;
  /** mqtts://127.0.0.1:PORT2 when started with `tls`. */
  tlsUrl: string | null;
  username: string;
  password: string;
  /** Stops the broker (SIGTERM, waits for the process to end); the folder is removed unless `keepState`. */
  stop(opts?: { keepState?: boolean }): Promise<void>;
}

export interface StartOptions {
  port?: number;
  username?: string;
  password?: string;
  tls?: TestCertificates;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
export async function makeCertificates(dir: string): Promise<TestCertificates> {
  const p = (name: string) => join(dir, name);
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...key, '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=Lifeboat test CA']);
  await writeFile(p('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  await writeFile(p('client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [
    ['server', '127.0.0.1'],
    ['client', 'lifeboat'],
  ] as const) {
    await run('openssl', ['req', ...key, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`]);
    await run('openssl', ['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${name}.crt`), '-days', '2', '-extfile', p(`${name}.ext`)]);
  }
  return { dir, ca: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Mosquitto: ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function start(opts: StartOptions = {}): Promise<Mosquitto> {
  const username = opts.username ?? 'lifeboat';
  const password = opts.password ?? 'broker-pass-1';
  const port = opts.port ?? (await freePort());
  const tlsPort = opts.tls ? await freePort() : null;
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  const passwd = join(dir, 'passwd');
  const pidFile = join(dir, 'mosquitto.pid');
  const logFile = join(dir, 'mosquitto.log');
  await writeFile(passwd, '', { mode: 0o600 });
  await run('mosquitto_passwd', ['-b', passwd, username, password]);
  await writeFile(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      `pid_file ${pidFile}`,
      'persistence false',
      `log_dest file ${logFile}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      ...(opts.tls
        ? [
            `listener ${tlsPort} 127.0.0.1`,
            `cafile ${opts.tls.ca}`,
            `certfile ${opts.tls.serverCert}`,
            `keyfile ${opts.tls.serverKey}`,
            'require_certificate true',
          ]
        : []),
      '',
    ].join('\n'),
  );
  if (userInfo().uid === 0) {
    // Started as root, Mosquitto drops to the `mosquitto` user: it must own its files.
    const { stdout } = await run('id', ['-u', 'mosquitto']);
    const { stdout: gid } = await run('id', ['-g', 'mosquitto']);
    const owned = [dir, passwd, conf, ...(opts.tls ? [opts.tls.dir, opts.tls.ca, opts.tls.serverCert, opts.tls.serverKey] : [])];
    for (const p of owned) await chown(p, Number(stdout.trim()), Number(gid.trim()));
  }
  await run('mosquitto', ['-c', conf, '-d']);
  await waitFor(async () => (await accepts(port)) && (tlsPort === null || (await accepts(tlsPort))), `no listener on port ${port}`).catch(async (err: Error) => {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    throw new Error(`${err.message}\n${log}`);
  });
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  let stopped = false;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    tlsUrl: tlsPort === null ? null : `mqtts://127.0.0.1:${tlsPort}`,
    username,
    password,
    stop: async (stopOpts = {}) => {
      if (!stopped) {
        stopped = true;
        if (alive(pid)) process.kill(pid, 'SIGTERM');
        await waitFor(() => !alive(pid), `process ${pid} did not end`);
      }
      if (!stopOpts.keepState) await rm(dir, { recursive: true, force: true });
    },
  };
}
