// What `lifeboat serve` runs: the long-running Lifeboat for one installation — automatic backups
// on their schedule, retention at start-up and daily, notifications, the HTTP API with /metrics,
// the Backup device in Home Assistant over MQTT, structured logs. One instance per data folder. As
// a Home Assistant app (add-on) the Supervisor's parts join in (app-mode.ts).

import { existsSync, unwatchFile, watchFile } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LifeboatCore } from '../core/lifeboat-core.js';
import { SignInLinks } from '../core/sign-in-links.js';
import type { Clock, HaControlSpec } from '../core/types.js';
import { httpNotifier } from '../integrations/notifier.js';
import { MetricsCollector } from '../integrations/metrics.js';
import { MqttBridge } from '../integrations/mqtt-bridge.js';
import { reachableUrl } from '../integrations/mqtt-discovery.js';
import { startHttpServer } from '../server/http-server.js';
import { lockServing } from '../core/serve-lock.js';
import { asLogger, createPino } from './service-logger.js';
import type { AppMode } from './app-mode.js';

/** The built web UI (dist/web next to dist/cli), if there is one. */
function webRoot(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [join(here, '..', 'web'), join(here, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(candidate, 'index.html'))) return candidate;
  }
  return null;
}

export interface ServeHandle {
  core: LifeboatCore;
  stop(): Promise<void>;
}

export interface StartOptions {
  installation: string;
  data?: string;
  /** The local backup folder; default `<installation>/backups`. */
  backups?: string;
  /** Running as a Home Assistant app under the Supervisor. */
  app?: AppMode | null;
  /** The clock of the whole service (tests set the time). */
  clock?: Clock;
  /** How restores stop and start Home Assistant (`--ha-container`, the commands). */
  homeAssistant?: HaControlSpec;
  /** The front ends around the core (the API, metrics, MQTT); returns how to stop them. */
  extra?: (core: LifeboatCore) => Promise<() => Promise<void>>;
}

/** Starts serving; the returned handle stops it (used by the command and by tests). */
export async function startServe(opts: StartOptions): Promise<ServeHandle> {
  const pino = createPino();
  const log = asLogger(pino);
  const releaseInstance = await lockServing(opts.installation, opts.data, log);
  const core = await LifeboatCore.open({
    installation: opts.installation,
    data: opts.data,
    backupsDir: opts.backups,
    log,
    clock: opts.clock,
    notifier: httpNotifier(undefined, opts.clock),
    homeAssistant: opts.homeAssistant,
    ...opts.app?.coreOptions(log),
  });
  const dataDir = core.status.dataFolder;
  await core.startServices();
  // `lifeboat settings update` or `key rotate` from another process changes the files: follow them.
  const refresh = () => void core.settings.refresh().catch((err: unknown) => log.warn('Could not reload the settings', { error: String(err) }));
  const watched = [join(dataDir, 'settings.json'), join(dataDir, 'secrets.json')];
  for (const file of watched) watchFile(file, { interval: 1000 }, refresh);
  // Commands run in other processes (`lifeboat backup create`) update the entities file: follow it.
  const entitiesFile = join(dataDir, 'entities.json');
  watchFile(entitiesFile, { interval: 1000 }, () => void core.status.reloadEntities());
  const stopExtra = opts.extra ? await opts.extra(core) : async () => undefined;
  pino.info({ installation: core.status.installation, next_automatic_backup: (await core.status.nextRun()).next, key_fingerprint: core.status.keyFingerprint }, 'Lifeboat is serving');
  let stopping: Promise<void> | null = null;
  return {
    core,
    stop: () => {
      stopping ??= (async () => {
        pino.info('Stopping: abandoning the current step, if any');
        for (const file of [...watched, entitiesFile]) unwatchFile(file);
        await stopExtra();
        await core.abort();
        await core.close();
        await opts.app?.settled();
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
  /** `--allowed-host`, repeated. */
  allowedHost: string[];
  /** The timeouts, ms, and the least upload rate, bytes per second. */
  headersTimeout: number;
  idleTimeout: number;
  minUploadRate: number;
  authTimeout: number;
  /** Print a one-time sign-in link for the web UI. */
  signInLink?: boolean;
  /** Served through Home Assistant's ingress: the addresses its proxy connects from (`--ingress-proxy`). */
  ingressProxy: string[];
}

/** `lifeboat serve` itself: the API and web UI, /metrics and the MQTT bridge around the core. */
export function serveApi(opts: ServeOptions, app: AppMode | null = null): (core: LifeboatCore) => Promise<() => Promise<void>> {
  return async (core) => {
    const metrics = await MetricsCollector.start(core);
    const server = await startHttpServer(core, {
      host: opts.host,
      port: opts.port,
      maxUploadBytes: opts.maxUploadGib * 1024 ** 3,
      webRoot: webRoot(),
      metrics,
      allowedHosts: opts.allowedHost,
      limits: {
        headersTimeoutMs: opts.headersTimeout,
        bodyIdleTimeoutMs: opts.idleTimeout,
        minUploadBytesPerSecond: opts.minUploadRate,
        wsAuthTimeoutMs: opts.authTimeout,
      },
      ingress: opts.ingressProxy.length ? { proxies: opts.ingressProxy } : undefined,
      log: core.log,
    });
    core.log.info(`Listening on ${server.url}`, { url: server.url });
    if (opts.ingressProxy.length) core.log.info("Answering only Home Assistant's ingress proxy", { proxies: opts.ingressProxy });
    process.stdout.write(`Lifeboat is serving ${core.status.installation} on ${server.url}\n`);
    if (opts.signInLink) {
      const { code, expires } = core.signInLinks.issue();
      process.stdout.write(`Open this link to sign in (it works once, until ${expires.toISOString().slice(11, 16)} UTC):\n  ${server.url}${SignInLinks.path(code)}\n`);
    }
    const mqtt = MqttBridge.start(core, {
      configurationUrl: app ? await app.panelUrl(core.log) : reachableUrl(server.url, hostname()),
      offeredBroker: await app?.offeredBroker(core.log),
    });
    return async () => {
      await mqtt.stop();
      await server.close();
      await metrics.close();
    };
  };
}
