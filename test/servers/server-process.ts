// A database server run as a child process of the tests (MariaDB, PostgreSQL): spawned in a
// process group of its own with its output in a log file, waited for until it answers, stopped
// with the server's own shutdown signal and SIGKILLed (with its workers) when that takes too long.

import { spawn } from 'node:child_process';
import { open, readFile, rm } from 'node:fs/promises';
import { killTree } from './net-helpers.js';

export interface ServerProcess {
  readonly pid: number;
  readonly log: string;
  running(): boolean;
  /** The last lines of the log, for error messages. */
  logTail(): Promise<string>;
  /** Polls `check` until it answers true; fails when the process ends first or after `timeoutMs`. */
  waitUntil(check: () => Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and waits for the end; SIGKILLs the whole group after `timeoutMs`. */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** SIGKILLs the server and its workers at once, as a crash or power cut would. */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  log: string;
  cwd?: string;
  /** Runs the server as this user (the tests run as root; PostgreSQL refuses root). */
  uid?: number;
  gid?: number;
  env?: NodeJS.ProcessEnv;
}

export async function spawnServer(command: string, args: string[], opts: SpawnOptions): Promise<ServerProcess> {
  const log = await open(opts.log, 'a');
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    uid: opts.uid,
    gid: opts.gid,
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
  });
  const started = new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', reject);
  });
  let ended = false;
  const ending = new Promise<void>((resolve) =>
    child.once('exit', () => {
      ended = true;
      resolve();
    }),
  );
  /** The end of the process; the wait keeps Node running (the child is unref'd otherwise). */
  const exited = async () => {
    child.ref();
    await ending;
  };
  await log.close();
  const spawned = await started;
  child.unref();
  const logTail = async () => (await readFile(opts.log, 'utf8').catch(() => '')).split('\n').slice(-30).join('\n');
  const killGroup = async () => {
    await killTree(spawned);
    try {
      process.kill(-spawned, 'SIGKILL');
    } catch {
      // the group is gone already
    }
    await exited();
  };
  return {
    pid: spawned,
    log: opts.log,
    running: () => !ended,
    logTail,
    waitUntil: async (check, what, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await check().catch(() => false))) {
        if (ended) throw new Error(`${command} ended before ${what}:\n${await logTail()}`);
        if (Date.now() > deadline) throw new Error(`${command}: not ${what} within ${timeoutMs} ms:\n${await logTail()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async (signal, timeoutMs = 20_000) => {
      if (ended) return;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        exited().then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (late) await killGroup();
    },
    kill: async () => {
      if (!ended) await killGroup();
    },
  };
}

/**
 * stop() and kill() of a test database server with a superuser client: stop() closes the client,
 * shuts the server down with its `shutdown` signal and removes `dir`; kill() SIGKILLs the server
 * and closes the client, leaving `dir`.
 */
export function serverControls(server: ServerProcess, dir: string, shutdown: NodeJS.Signals, closeClient: () => Promise<unknown>): { stop(): Promise<void>; kill(): Promise<void> } {
  let clientOpen = true;
  const close = async () => {
    if (clientOpen) {
      clientOpen = false;
      await closeClient().catch(() => undefined);
    }
  };
  return {
    stop: async () => {
      await close();
      await server.stop(shutdown);
      await rm(dir, { recursive: true, force: true });
    },
    kill: async () => {
      await server.kill();
      await close();
    },
  };
}
