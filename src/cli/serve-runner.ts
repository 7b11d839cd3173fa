// What `lifeboat serve` runs: the long-running Lifeboat for one installation — automatic backups
// on their schedule, retention at start-up and daily, notifications, the HTTP API with /metrics,
// the Backup device in Home Assistant over MQTT, structured logs. One instance per data folder.

import { watchFile, unwatchFile } from 'node:fs';
import { LifeboatApp } from '../app/lifeboat-app.js';
import { asLogger, createPino } from '../app/logger.js';
import { dataFolder, ensureDataFolder } from '../manager/data-folder.js';
import { acquireLock } from '../manager/operation-lock.js';
import { join } from 'node:path';
import { BackupManagerError } from '../archive/errors.js';
import { startHttpServer } from '../server/http-server.js';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { MetricsCollector } from '../integrations/metrics.js';
import { MqttBridge } from '../integrations/mqtt-bridge.js';
import { reachableUrl } from '../integrations/mqtt-discovery.js';

/** The built web UI (dist/web next to dist/cli), if there is one. */
function webRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

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
  // `lifeboat settings update` or `key rotate` from another process changes the files: follow them.
  const refresh = () =>
    void app.settings.refresh().catch((err: unknown) => log.warn('Could not reload the settings', { error: String(err) }));
  watchFile(df.settings, { interval: 1000 }, refresh);
  watchFile(df.secrets, { interval: 1000 }, refresh);
  // Commands run in other processes (`lifeboat backup create`) update the entities file: follow it.
  const entitiesFile = join(df.root, 'entities.json');
  watchFile(entitiesFile, { interval: 1000 }, () => void app.entities.reload());
  const stopExtra = opts.extra ? await opts.extra(app) : async () => undefined;
  pino.info({ installation: df.installation, next_automatic_backup: (await app.nextRun()).next, key_fingerprint: app.settings.keyFingerprint }, 'Lifeboat is serving');
  let stopping: Promise<void> | null = null;
  return {
    app,
    stop: () => {
      stopping ??= (async () => {
        pino.info('Stopping: abandoning the current step, if any');
        unwatchFile(df.settings);
        unwatchFile(df.secrets);
        unwatchFile(entitiesFile);
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

export interface ServeOptions {
  host: string;
  port: number;
  maxUploadGib: number;
}

/** `lifeboat serve` itself: the API and web UI, /metrics and the MQTT bridge around the app. */
export function serveApi(opts: ServeOptions): (app: LifeboatApp) => Promise<() => Promise<void>> {
  return async (app) => {
    const metrics = await MetricsCollector.start(app);
    const server = await startHttpServer(app, {
      host: opts.host,
      port: opts.port,
      maxUploadBytes: opts.maxUploadGib * 1024 ** 3,
      webRoot: webRoot(),
      metrics,
      log: app.log,
    });
    app.log.info(`Listening on ${server.url}`, { url: server.url });
    process.stdout.write(`Lifeboat is serving ${app.manager.df.installation} on ${server.url}\n`);
    const mqtt = MqttBridge.start(app, { configurationUrl: reachableUrl(server.url, hostname()) });
    return async () => {
      await mqtt.stop();
      await server.close();
      await metrics.close();
    };
  };
}
