// Turns the global options (--config, --data) into an open application core, with progress from
// its event stream drawn on the terminal, notifications sent over HTTP, and a logger that prints
// warnings on stderr (secrets masked, as in every log).

import type { Command } from 'commander';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import { isLifeboatProgress, type Logger, type ManagerEvent } from '../core/types.js';
import { redactFields, redactText } from '../util/log-redaction.js';
import { ProgressLine } from './progress.js';

export interface GlobalOptions {
  config?: string;
  data?: string;
  verbose?: boolean;
}

export function globals(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function installationOf(opts: GlobalOptions): string {
  return opts.config ?? process.env.LIFEBOAT_CONFIG ?? process.cwd();
}

/** One line of the stderr logger, secrets masked by the one log redaction. */
export function stderrLine(level: string, message: string, fields?: Record<string, unknown>): string {
  const masked = fields ? redactFields(fields) : {};
  const show = (v: unknown) => (v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v));
  const extra = Object.keys(masked).length ? ` (${Object.entries(masked).map(([k, v]) => `${k}: ${show(v)}`).join(', ')})` : '';
  return `${level}: ${redactText(message)}${extra}\n`;
}

export function stderrLogger(verbose = false): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    process.stderr.write(stderrLine(level, message, fields));
  };
  return {
    info: (m, f) => {
      if (verbose) line('info', m, f);
    },
    warn: (m, f) => line('warning', m, f),
    error: (m, f) => line('error', m, f),
  };
}

const opened: LifeboatCore[] = [];

/** Opens the application core (settings, locations, entities) for one command. */
export async function openCore(cmd: Command): Promise<LifeboatCore> {
  const opts = globals(cmd);
  // Loaded on demand, so commands that need no application (archive, token, --help) start lean.
  const [{ LifeboatCore }, { httpNotifier }] = await Promise.all([import('../core/lifeboat-core.js'), import('../integrations/notifier.js')]);
  const core = await LifeboatCore.open({
    installation: installationOf(opts),
    data: dataOf(opts),
    backupsDir: backupsOf(),
    log: stderrLogger(opts.verbose),
    notifier: httpNotifier(),
  });
  opened.push(core);
  return core;
}

/** Lifeboat's data folder from --data or $LIFEBOAT_DATA, if given. */
export function dataOf(opts: GlobalOptions): string | undefined {
  return opts.data ?? process.env.LIFEBOAT_DATA;
}

/** The local backup folder from $LIFEBOAT_BACKUPS (the add-on: /backup), if given; else `<installation>/backups`. */
export function backupsOf(): string | undefined {
  return process.env.LIFEBOAT_BACKUPS || undefined;
}

/** Closes the cores the command opened: their remote locations' connections, and their entity states saved. */
export async function closeOpenedCores(): Promise<void> {
  for (const core of opened.splice(0)) await core.close();
}

const STEP_LABELS: Record<string, string> = {
  copy_databases: 'Copying databases',
  write_archive: 'Writing the backup',
  extract: 'Checking and unpacking',
  swap: 'Swapping in the restored files',
  download: 'Downloading',
};

/** Draws Lifeboat's progress events on the terminal; returns a function that stops drawing. */
export function showProgress(core: LifeboatCore, enabled: boolean): () => void {
  const line = new ProgressLine(enabled && process.stderr.isTTY === true);
  let step = '';
  const unsubscribe = core.status.onEvent((e: ManagerEvent) => {
    if (!isLifeboatProgress(e)) return;
    if (e.step !== step) {
      step = e.step;
      line.setStage(STEP_LABELS[e.step] ?? e.step, e.total_bytes);
    }
    line.set(e.done_bytes);
  });
  return () => {
    unsubscribe();
    line.finish();
  };
}
