// `lifeboat serve`: the long-running Lifeboat for one installation — automatic backups on their
// schedule, retention at start-up and daily, notifications, structured logs. One instance per data
// folder; SIGTERM/SIGINT abandon the current step cleanly (no partial files) and exit.

import { watchFile, unwatchFile } from 'node:fs';
import type { Command } from 'commander';
import { LifeboatApp } from '../app/lifeboat-app.js';
import { asLogger, createPino } from '../app/logger.js';
import { dataFolder, ensureDataFolder } from '../manager/data-folder.js';
import { acquireLock } from '../manager/operation-lock.js';
import { loadSettings } from '../settings/settings-store.js';
import { globals, installationOf } from './context.js';
import { join } from 'node:path';
import { BackupManagerError } from '../archive/errors.js';

export interface ServeHandle {
  app: LifeboatApp;
  stop(): Promise<void>;
}

/** Starts serving; the returned handle stops it (used by the command and by tests). */
export async function startServe(opts: { installation: string; data?: string; extra?: (app: LifeboatApp) => Promise<() => Promise<void>> }): Promise<ServeHandle> {
  const pino = createPino();
  const log = asLogger(pino);
  const df = dataFolder(opts.installation, opts.data);
  await ensureDataFolder(df);
  const releaseInstance = await acquireLock(join(df.root, 'serve.lock'), 'serve').catch((err: unknown) => {
    if (err instanceof BackupManagerError) throw new BackupManagerError(`Lifeboat is already serving ${df.installation}: ${err.message.replace('Backup manager busy: ', '')}`);
    throw err;
  });
  const app = await LifeboatApp.open({ installation: opts.installation, data: opts.data, log });
  await app.startServices();
  // A `lifeboat settings update` from another process changes the file: follow it.
  watchFile(df.settings, { interval: 1000 }, () => {
    void loadSettings(df.settings)
      .then((config) => (JSON.stringify(config) === JSON.stringify(app.settings.config) ? undefined : app.settings.replace(config)))
      .catch((err: unknown) => log.warn('Could not reload the settings', { error: String(err) }));
  });
  const stopExtra = opts.extra ? await opts.extra(app) : async () => undefined;
  pino.info({ installation: df.installation, next_automatic_backup: (await app.nextRun()).next, key_fingerprint: app.settings.keyFingerprint }, 'Lifeboat is serving');
  let stopping: Promise<void> | null = null;
  return {
    app,
    stop: () => {
      stopping ??= (async () => {
        pino.info('Stopping: abandoning the current step, if any');
        unwatchFile(df.settings);
        await stopExtra();
        await app.manager.abort();
        await app.close();
        await releaseInstance();
        pino.info('Stopped');
        pino.flush();
      })();
      return stopping;
    },
  };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run Lifeboat: automatic backups on schedule, retention, notifications (stop with Ctrl-C or SIGTERM)')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globals(cmd);
      const handle = await startServe({ installation: installationOf(g), data: g.data ?? process.env.LIFEBOAT_DATA });
      await new Promise<void>((resolveStop) => {
        const onSignal = () => void handle.stop().then(resolveStop);
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
