// Runs the database's own command-line tools (mariadb-dump, mariadb, pg_dump, psql) for the
// recorder's dump and load. Credentials reach them through the environment (MYSQL_PWD, PGPASSWORD),
// never on the command line where any user of the machine could read them; what a tool says on
// standard error is kept (the last few KiB, any password masked) for the error message.

import { spawn, type ChildProcess } from 'node:child_process';
import { BackupError } from '../../util/errors.js';
import { childInBackground } from '../../util/background-priority.js';

/** The recorder's database could not be dumped, loaded or swapped. */
export class ExternalDatabaseError extends BackupError {
  override readonly code: string = 'external_database_failed';
}

/** One invocation of a database tool: program, arguments, extra environment (secrets only here). */
export interface ToolCall {
  program: string;
  args: string[];
  env: Record<string, string>;
}

const STDERR_KEEP = 4096;

/** A running tool: its process, and a promise that settles when it has exited. */
export interface RunningTool {
  child: ChildProcess;
  /** Resolves on exit code 0; rejects with ExternalDatabaseError naming what the tool said. */
  done: Promise<void>;
}

function masked(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('**REDACTED**');
  return out;
}

/**
 * Starts a tool. `stdin`/`stdout` are pipes when asked for. A program that is not installed fails
 * with a message saying which package provides it.
 */
export function startTool(call: ToolCall, what: string, opts: { stdin?: boolean; stdout?: boolean; signal?: AbortSignal }): RunningTool {
  const child = spawn(call.program, call.args, {
    stdio: [opts.stdin ? 'pipe' : 'ignore', opts.stdout ? 'pipe' : 'ignore', 'pipe'],
    env: { ...process.env, ...call.env },
    signal: opts.signal,
    killSignal: 'SIGKILL',
  });
  childInBackground(child.pid);
  const secrets = Object.values(call.env);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-STDERR_KEEP);
  });
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(new ExternalDatabaseError(`${what} needs the program ${call.program}, which is not installed (${installHint(call.program)})`));
      } else if (err.name === 'AbortError') reject(err);
      else reject(new ExternalDatabaseError(`${what}: ${call.program} could not be run: ${err.message}`, { cause: err }));
    });
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      const said = masked(stderr, secrets)
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('Warning: Using a password'))
        .slice(-3)
        .join(' / ');
      const how = signal ? `was stopped by ${signal}` : `failed (exit code ${code})`;
      reject(new ExternalDatabaseError(`${what}: ${call.program} ${how}${said ? `: ${said}` : ''}`));
    });
  });
  done.catch(() => undefined); // observed by the caller
  return { child, done };
}

/** Runs a tool to the end with `input` on its standard input; resolves with its standard output. */
export async function runTool(call: ToolCall, what: string, input = '', signal?: AbortSignal): Promise<string> {
  const tool = startTool(call, what, { stdin: true, stdout: true, signal });
  let out = '';
  tool.child.stdout?.setEncoding('utf8');
  tool.child.stdout?.on('data', (d: string) => {
    if (out.length < 1 << 20) out += d;
  });
  tool.child.stdin?.on('error', () => undefined); // a tool that exits early: its exit code says why
  tool.child.stdin?.end(input);
  await tool.done;
  return out;
}

function installHint(program: string): string {
  if (program.startsWith('pg_') || program === 'psql') return "Debian's postgresql-client package";
  return "Debian's mariadb-client package";
}

/**
 * Feeds a dump into a loading tool's standard input, minding back-pressure, and waits for the tool.
 * When the dump fails part-way (a wrong digest, a read error) the tool is killed before its input
 * ends, so it never sees an end of input that it could take for a complete dump.
 */
export async function loadThrough(tool: RunningTool, dump: AsyncIterable<Buffer>): Promise<void> {
  const stdin = tool.child.stdin!;
  stdin.on('error', () => undefined); // a tool that exits early: its exit status says why
  let exited = false;
  const gone = tool.done.then(
    () => (exited = true),
    () => (exited = true),
  );
  try {
    for await (const chunk of dump) {
      if (exited) break;
      if (!stdin.write(chunk)) await Promise.race([new Promise((resolve) => stdin.once('drain', resolve)), gone]);
    }
  } catch (err) {
    tool.child.kill('SIGKILL');
    await gone;
    throw err;
  }
  stdin.end();
  await tool.done;
}
