// Shared bits of the test-server helpers: a free TCP port on 127.0.0.1, waiting until a port
// accepts connections, waiting for a process to exit, and killing a daemon with its children.

import { randomInt } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';

/**
 * Ports handed to test servers come from below the kernel's range for outgoing connections (where
 * a port taken with listen(0) lives too), so that no connection made meanwhile can take one between
 * this check and the server's bind. Each test worker draws from its own stretch, in turn from a
 * random place in it, so two workers, or two test files one after the other, never hand out the same
 * port. Where that range reaches too low, any free port the kernel gives is taken instead.
 */
const FIRST_PORT = 20_000;
const STRETCH = 1_000;
const WORKER_STRETCHES = 12;
let nextInStretch = -1;

function listensOn(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const taken = (server.address() as { port: number }).port;
      server.close(() => resolve(taken));
    });
  });
}

async function ephemeralLow(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  return Number(range.trim().split(/\s+/)[0]) || 0;
}

export async function freePort(): Promise<number> {
  if ((await ephemeralLow()) >= FIRST_PORT + STRETCH * WORKER_STRETCHES) {
    const stretch = FIRST_PORT + (Number(process.env.VITEST_POOL_ID ?? 0) % WORKER_STRETCHES) * STRETCH;
    if (nextInStretch < 0) nextInStretch = randomInt(STRETCH);
    for (let tries = 0; tries < STRETCH; tries++) {
      const port = await listensOn(stretch + (nextInStretch++ % STRETCH));
      if (port !== null) return port;
    }
  }
  const port = await listensOn(0);
  if (port === null) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function waitForExit(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Pids of the children of `pid` (from /proc). */
export async function childrenOf(pid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid) out.push(Number(name));
  }
  return out;
}

/** SIGKILLs a process and all its descendants, as a crash or power cut would end them. */
export async function killTree(pid: number): Promise<void> {
  const kids = await childrenOf(pid);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  for (const kid of kids) await killTree(kid);
}

export async function readPid(path: string, timeoutMs = 10_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    const pid = Number(text.trim());
    if (Number.isInteger(pid) && pid > 0) return pid;
    if (Date.now() > deadline) throw new Error(`no pid in ${path}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Daemon {
  readonly pid: number | null;
  /** SIGKILLs the daemon and its children (sessions, workers). */
  kill(): Promise<void>;
  /** Kills it if it runs and starts it again. */
  restart(): Promise<void>;
}

/** A forking daemon started by `command`, which writes its pid to `pidFile` and listens on `port`. */
export async function startDaemon(command: () => void, pidFile: string, port: number): Promise<Daemon> {
  let pid: number | null = null;
  const launch = async () => {
    await rm(pidFile, { force: true });
    command();
    pid = await readPid(pidFile);
    await waitForPort(port);
  };
  const kill = async () => {
    if (pid === null) return;
    const p = pid;
    pid = null;
    await killTree(p);
    // A daemon leads its own process group: workers it was forking right then go with the group.
    try {
      process.kill(-p, 'SIGKILL');
    } catch {
      // no such group left
    }
    await waitForExit(p);
  };
  await launch();
  return {
    get pid() {
      return pid;
    },
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
  };
}
