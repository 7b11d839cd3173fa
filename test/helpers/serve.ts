// Shared by the `lifeboat serve` integration tests: a serve child process whose JSON log lines can be
// awaited, polling until a condition holds, and reading Lifeboat's state files from outside.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { EntityState } from '../../src/entities/entity-tracker.js';
import { runCli } from './cli.js';
import { PROJECT_ROOT } from './paths.js';
import { dataDir } from './data-dir.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface ServeProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: () => string;
  stderr: () => string;
  /** The JSON log lines so far (non-JSON lines are kept as { level: -1, msg: <text> }). */
  lines: () => LogLine[];
  waitForLog: (pred: (l: LogLine) => boolean, timeoutMs?: number) => Promise<LogLine>;
  /** SIGTERM, then wait for the exit. */
  stop: () => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

/**
 * The environment that runs a child process's wall clock `offsetMs` ahead of this machine's
 * (libfaketime, from Debian's `faketime`): a test sets the time of the real processes it starts
 * instead of waiting for it. Monotonic clocks (timers, durations) are left as they are.
 */
export function clockAheadEnv(offsetMs: number): NodeJS.ProcessEnv {
  const lib = ['x86_64-linux-gnu', 'aarch64-linux-gnu', 'arm-linux-gnueabihf']
    .map((arch) => `/usr/lib/${arch}/faketime/libfaketimeMT.so.1`)
    .find((path) => existsSync(path));
  if (!lib) throw new Error("libfaketime is missing: install Debian's faketime package");
  return { LD_PRELOAD: lib, FAKETIME: `${offsetMs >= 0 ? '+' : ''}${(offsetMs / 1000).toFixed(3)}`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
}

export function startServe(inst: string, env: NodeJS.ProcessEnv = {}): ServeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts'), '-c', inst, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, LIFEBOAT_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
    for (const l of [...listeners]) l();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      for (const l of [...listeners]) l();
      resolve({ code, signal });
    });
  });
  const lines = (): LogLine[] =>
    err
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        try {
          return JSON.parse(l) as LogLine;
        } catch {
          return { level: -1, msg: l };
        }
      });
  const waitForLog = (pred: (l: LogLine) => boolean, timeoutMs = 30_000) =>
    new Promise<LogLine>((resolve, reject) => {
      const check = () => {
        const found = lines().find(pred);
        if (found) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`serve exited before the expected log line; stderr:\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        listeners.delete(check);
        reject(new Error(`expected log line not seen within ${timeoutMs} ms; stderr:\n${err}`));
      }, timeoutMs);
      listeners.add(check);
      check();
    });
  return {
    child,
    exited,
    stdout: () => out,
    stderr: () => err,
    lines,
    waitForLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Kills every serve child still running (afterAll). */
export async function killAllServes(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

export async function until<T>(fn: () => Promise<T | null | undefined | false>, opts: { timeoutMs: number; intervalMs?: number; what: string }): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** The entity states serve persisted, read straight from the file (null while it does not exist). */
export async function readStates(inst: string): Promise<Record<string, EntityState> | null> {
  try {
    const doc = JSON.parse(await readFile(join(dataDir(inst), 'entities.json'), 'utf8')) as { states: EntityState[] };
    return Object.fromEntries(doc.states.map((s) => [s.entity_id, s]));
  } catch {
    return null;
  }
}

export async function statusJson(inst: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, EntityState>> {
  const r = await runCli(['-c', inst, 'status', '--json'], { env });
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return Object.fromEntries((JSON.parse(r.stdout) as EntityState[]).map((s) => [s.entity_id, s]));
}

export async function settingsJson(inst: string, env: NodeJS.ProcessEnv = {}): Promise<Record<string, unknown>> {
  const r = await runCli(['-c', inst, 'settings', 'show', '--json'], { env });
  if (r.code !== 0) throw new Error(`settings show failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { config: Record<string, unknown> }).config;
}

export async function updateSettings(inst: string, payload: unknown, env: NodeJS.ProcessEnv = {}): Promise<string> {
  const r = await runCli(['-c', inst, 'settings', 'update', JSON.stringify(payload)], { env });
  if (r.code !== 0) throw new Error(`settings update failed: ${r.stderr}`);
  return r.stdout + r.stderr;
}

export async function backupFiles(inst: string): Promise<{ tars: string[]; partials: string[] }> {
  const names = await readdir(join(inst, 'backups')).catch(() => [] as string[]);
  return {
    tars: names.filter((n) => n.endsWith('.tar') && !n.startsWith('.')).map((n) => join(inst, 'backups', n)),
    partials: names.filter((n) => n.startsWith('.lifeboat-') && n.endsWith('.partial')),
  };
}

export const TIMESTAMP_STATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/;
export const EVENT_STATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/;
