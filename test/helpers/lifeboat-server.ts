// Starts a real Lifeboat server for a test: `lifeboat serve --port 0` in a child process (the URL
// is read from its "Lifeboat is serving … on http://127.0.0.1:PORT" line), or in this process via
// startServe + startHttpServer (for options the CLI does not expose, e.g. a web UI folder).
// Tokens are made with `lifeboat token create`. Every server still running is stopped after the
// test file.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { startServe, type ServeHandle } from '../../src/cli/serve-runner.js';
import { startHttpServer, type HttpServerOptions } from '../../src/server/http-server.js';
import { openTokens } from '../../src/core/tokens.js';
import { runCli } from './cli.js';
import { PROJECT_ROOT } from './paths.js';

export interface ServerOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface LifeboatServer {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  port: number;
  /** ws://127.0.0.1:PORT/api/websocket */
  wsUrl: string;
  installation: string;
  /** The child's pid (child servers only). */
  pid: number | null;
  /** The first line the server printed on stdout (child servers only). */
  servingLine: string | null;
  output(): { stdout: string; stderr: string };
  stop(): Promise<ServerOutcome | null>;
}

const running = new Set<LifeboatServer>();

afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop()));
});

export interface ServerProcessOptions {
  installation: string;
  /** Extra arguments after `serve` (e.g. `['--host', '127.0.0.1']`). */
  args?: string[];
  /** Node options before the script (e.g. `--max-old-space-size=…`). */
  nodeArgs?: string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

const SERVING = /^Lifeboat is serving (.+) on (http:\/\/(\S+):(\d+))$/m;

/** `lifeboat -c <installation> serve --port 0 …` in a child process; resolves once it listens. */
export async function startServerProcess(opts: ServerProcessOptions): Promise<LifeboatServer> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...(opts.nodeArgs ?? []), '--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), '-c', opts.installation, 'serve', '--port', '0', ...(opts.args ?? [])],
    { cwd: PROJECT_ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  const exited = new Promise<ServerOutcome>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${opts.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`)), opts.timeoutMs ?? 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = SERVING.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    void exited.then((o) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${o.code ?? o.signal}) before listening\n${o.stdout}\n${o.stderr}`));
    });
  });
  let stopping: Promise<ServerOutcome> | null = null;
  const server: LifeboatServer = {
    url: match[2] as string,
    port: Number(match[4]),
    wsUrl: `ws://${match[3]}:${match[4]}/api/websocket`,
    installation: opts.installation,
    pid: child.pid ?? null,
    servingLine: match[0],
    output: () => ({ stdout, stderr }),
    stop: () => {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
          const outcome = await exited;
          clearTimeout(killer);
          running.delete(server);
          return outcome;
        }
        running.delete(server);
        return exited;
      })();
      return stopping;
    },
  };
  running.add(server);
  return server;
}

export interface InProcessOptions {
  installation: string;
  /** A folder with index.html, served as the web UI. */
  webRoot?: string | null;
  maxUploadBytes?: number;
  /** More options of the HTTP server (timeouts, allowed hosts). */
  http?: Pick<HttpServerOptions, 'limits' | 'allowedHosts'>;
}

/** startServe + startHttpServer in this process (port 0, 127.0.0.1). */
export async function startServerInProcess(opts: InProcessOptions): Promise<LifeboatServer & { handle: ServeHandle }> {
  process.env.LIFEBOAT_LOG_LEVEL ??= 'warn';
  let url = '';
  let port = 0;
  const handle = await startServe({
    installation: opts.installation,
    extra: async (core) => {
      const s = await startHttpServer(core, { ...opts.http, port: 0, webRoot: opts.webRoot ?? null, maxUploadBytes: opts.maxUploadBytes, log: core.log });
      url = s.url;
      port = s.port;
      return () => s.close();
    },
  });
  let stopping: Promise<null> | null = null;
  const server = {
    url,
    port,
    wsUrl: `${url.replace(/^http/, 'ws')}/api/websocket`,
    installation: opts.installation,
    pid: null,
    servingLine: null,
    handle,
    output: () => ({ stdout: '', stderr: '' }),
    stop: () => {
      stopping ??= handle.stop().then(() => {
        running.delete(server);
        return null;
      });
      return stopping;
    },
  };
  running.add(server);
  return server;
}

/** `lifeboat -c <installation> token create <name> [--read-only]`: the printed token. */
export async function createToken(installation: string, name: string, readOnly = false): Promise<string> {
  const r = await runCli(['-c', installation, 'token', 'create', name, ...(readOnly ? ['--read-only'] : [])]);
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  const token = r.stdout.trim();
  if (!/^lbt_\S+$/.test(token)) throw new Error(`unexpected token output: ${r.stdout}`);
  return token;
}

/** The same as `token create`, without a child process (the server re-reads the file). */
export async function createTokenDirect(installation: string, name: string, readOnly = false): Promise<string> {
  const store = await openTokens(installation);
  return (await store.create(name, readOnly ? 'read' : 'admin')).token;
}

/** Peak and current resident set size of a process (Linux /proc), in KiB. */
export async function memoryOf(pid: number): Promise<{ vmHwmKiB: number; vmRssKiB: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { vmHwmKiB: field('VmHWM'), vmRssKiB: field('VmRSS') };
}

export { eventually } from './eventually.js';
