// Starts test/helpers/recorder-writer.ts (a process committing recorder-style to SQLite databases)
// and talks its line protocol: wait for `ready`/`started`/`ended`, send `start`/`end`; SIGTERM
// makes it write its summary (seq-db.ts's WriterSummary). Used by the live-database tests and by
// bench/speed-bench.ts --writer.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from './paths.js';

/** A recorder-writer child with a line reader on its stdout. */
export class RecorderWriter {
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const w of this.waiters.splice(0)) w();
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static start(args: string[]): RecorderWriter {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/recorder-writer.ts'), ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new RecorderWriter(child);
  }

  /** Waits for a line `<word> <n>` and returns n. */
  async expect(word: string, timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(`${word} `));
      if (i !== -1) return Number(this.lines.splice(i, 1)[0]!.split(' ')[1]);
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`writer exited before "${word}": ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`writer did not say "${word}" in time: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
  }

  send(command: string): void {
    this.child.stdin!.write(`${command}\n`);
  }
}
