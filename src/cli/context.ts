// Turns the global options (--config, --data) into an open BackupManager, with progress from its
// event stream drawn on the terminal, and a logger that prints warnings on stderr.

import type { Command } from 'commander';
import type { BackupManager } from '../manager/backup-manager.js';
import type { LifeboatApp } from '../app/lifeboat-app.js';
import { isLifeboatProgress, type ManagerEvent } from '../manager/events.js';
import type { Logger } from '../manager/job-context.js';
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

export function stderrLogger(verbose = false): Logger {
  const line = (level: string, message: string, fields?: Record<string, unknown>) => {
    const extra = fields && Object.keys(fields).length ? ` (${Object.entries(fields).map(([k, v]) => `${k}: ${String(v)}`).join(', ')})` : '';
    process.stderr.write(`${level}: ${message}${extra}\n`);
  };
  return {
    info: (m, f) => {
      if (verbose) line('info', m, f);
    },
    warn: (m, f) => line('warning', m, f),
    error: (m, f) => line('error', m, f),
  };
}

const opened: LifeboatApp[] = [];

/** Opens the whole application (manager, settings, entities, locations) for one command. */
export async function openApp(cmd: Command): Promise<LifeboatApp> {
  const opts = globals(cmd);
  // Loaded on demand, so commands that need no application (archive, token, --help) start lean.
  const { LifeboatApp } = await import('../app/lifeboat-app.js');
  const app = await LifeboatApp.open({
    installation: installationOf(opts),
    data: opts.data ?? process.env.LIFEBOAT_DATA,
    log: stderrLogger(opts.verbose),
  });
  opened.push(app);
  return app;
}

/** Closes the connections to remote locations that the command's application opened. */
export async function closeOpenedApps(): Promise<void> {
  for (const app of opened.splice(0)) await app.closeLocations();
}

export async function openManager(cmd: Command): Promise<BackupManager> {
  return (await openApp(cmd)).manager;
}

const STEP_LABELS: Record<string, string> = {
  copy_databases: 'Copying databases',
  write_archive: 'Writing the backup',
  extract: 'Checking and unpacking',
  swap: 'Swapping in the restored files',
  download: 'Downloading',
};

/** Draws Lifeboat's progress events on the terminal; returns a function that stops drawing. */
export function showProgress(manager: BackupManager, enabled: boolean): () => void {
  const line = new ProgressLine(enabled && process.stderr.isTTY === true);
  let step = '';
  const unsubscribe = manager.events.subscribe((e: ManagerEvent) => {
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
