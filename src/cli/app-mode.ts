// Lifeboat as a Home Assistant app (add-on) under the Supervisor, detected from the environment the
// Supervisor gives the container (`SUPERVISOR_TOKEN`). Here the app's pieces are composed for
// `lifeboat serve`: the Supervisor's API (its address a setting, `LIFEBOAT_SUPERVISOR_URL`, so
// tests use a fake), the options the user set on the app's Configuration tab (`/data/options.json`,
// `LIFEBOAT_APP_OPTIONS`), and what the core and the front ends get from them — Home Assistant
// stopped and started by the Supervisor around a restore, the Supervisor's backup list reloaded
// after every change to `/backup`, Home Assistant's version from the Supervisor, and the MQTT
// broker of Home Assistant's MQTT service for the Backup device.

import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CoreOptions } from '../core/lifeboat-core.js';
import type { Logger } from '../core/types.js';
import type { OfferedBroker } from '../integrations/mqtt-bridge.js';
import { supervisorBackupListSync, type BackupListSync } from '../integrations/supervisor-backup-list.js';
import { SUPERVISOR_URL, SupervisorClient, type MqttService } from '../integrations/supervisor-client.js';
import { supervisorControl } from '../integrations/supervisor-control.js';

/** Where the Supervisor's ingress proxy connects from (the Supervisor's address on its network). */
export const SUPERVISOR_INGRESS_PROXY = '172.30.32.2';
const OPTIONS_FILE = '/data/options.json';

/** The app's options (config.yaml `options`/`schema`); missing ones take these defaults. */
export const AppOptionsSchema = z.object({
  /** Publish the Backup device over Home Assistant's MQTT broker (the Supervisor's MQTT service). */
  mqtt_discovery: z.boolean().default(true),
  log_level: z.enum(['debug', 'info', 'warning', 'error']).default('info'),
});
export type AppOptions = z.infer<typeof AppOptionsSchema>;

export interface AppEnvironment {
  token: string;
  supervisorUrl: string;
  optionsFile: string;
}

/** The app's environment, or null when Lifeboat does not run under the Supervisor. */
export function appEnvironment(env: NodeJS.ProcessEnv = process.env): AppEnvironment | null {
  const token = env.SUPERVISOR_TOKEN;
  if (!token) return null;
  return { token, supervisorUrl: env.LIFEBOAT_SUPERVISOR_URL || SUPERVISOR_URL, optionsFile: env.LIFEBOAT_APP_OPTIONS || OPTIONS_FILE };
}

/** The ingress proxy's addresses: `--ingress-proxy`, else $LIFEBOAT_INGRESS_PROXY (comma-separated), else the Supervisor's under it. */
export function ingressProxies(given: readonly string[], app: AppEnvironment | null, env: NodeJS.ProcessEnv = process.env): string[] {
  if (given.length) return [...given];
  const fromEnv = (env.LIFEBOAT_INGRESS_PROXY ?? '').split(',').map((a) => a.trim()).filter(Boolean);
  if (fromEnv.length) return fromEnv;
  return app ? [SUPERVISOR_INGRESS_PROXY] : [];
}

/** The options file as the Supervisor wrote it; a missing file means the defaults. */
export async function readAppOptions(file: string): Promise<AppOptions> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return AppOptionsSchema.parse({});
    throw err;
  }
  const parsed = AppOptionsSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`The app's options in ${file} are not valid: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** pino's name for an app log level. */
export function pinoLevel(level: AppOptions['log_level']): string {
  return level === 'warning' ? 'warn' : level;
}

/** The MQTT service's broker as a URL and credentials. */
export function brokerOf(service: MqttService): OfferedBroker {
  const host = service.host.includes(':') ? `[${service.host}]` : service.host;
  return { url: `${service.ssl ? 'mqtts' : 'mqtt'}://${host}:${service.port}`, username: service.username ?? null, password: service.password ?? null };
}

export class AppMode {
  readonly supervisor: SupervisorClient;
  private backupList: BackupListSync | null = null;

  constructor(
    readonly env: AppEnvironment,
    readonly options: AppOptions,
  ) {
    this.supervisor = new SupervisorClient({ url: env.supervisorUrl, token: env.token });
  }

  static async load(env: AppEnvironment): Promise<AppMode> {
    return new AppMode(env, await readAppOptions(env.optionsFile));
  }

  /** What the core gets under the Supervisor. */
  coreOptions(log: Logger): Pick<CoreOptions, 'homeAssistantControl' | 'onLocalChange' | 'haVersion'> {
    const sync = supervisorBackupListSync(this.supervisor, log);
    this.backupList = sync;
    return {
      homeAssistantControl: supervisorControl(this.supervisor),
      onLocalChange: () => sync.changed(),
      // Unknown (null) when the Supervisor cannot say: the installation's `.HA_VERSION` then.
      haVersion: () =>
        this.supervisor.coreInfo().then(
          (info) => info.version,
          (err: unknown) => {
            log.warn("Could not ask the Supervisor for Home Assistant's version; using the installation's .HA_VERSION", { error: (err as Error).message });
            return null;
          },
        ),
    };
  }

  /** The broker of Home Assistant's MQTT service, when the option is on and a broker add-on provides one. */
  async offeredBroker(log: Logger): Promise<OfferedBroker | null> {
    if (!this.options.mqtt_discovery) return null;
    try {
      const broker = brokerOf(await this.supervisor.mqttService());
      log.info("Using Home Assistant's MQTT broker for the Backup device", { broker: broker.url });
      return broker;
    } catch (err) {
      log.info('No MQTT broker in Home Assistant (install the Mosquitto broker app, then restart Lifeboat), so the Backup device is not published over MQTT', {
        error: (err as Error).message,
      });
      return null;
    }
  }

  /**
   * A link to the app's panel in Home Assistant (`homeassistant://hassio/ingress/<slug>`, which
   * Home Assistant opens itself), shown on the Backup device's page; null when the slug is unknown.
   */
  async panelUrl(log: Logger): Promise<string | null> {
    try {
      return `homeassistant://hassio/ingress/${(await this.supervisor.selfInfo()).slug}`;
    } catch (err) {
      log.warn("Could not ask the Supervisor for this app's slug; the Backup device gets no link to the panel", { error: (err as Error).message });
      return null;
    }
  }

  /** Resolves when the Supervisor has been told of every change to the backup folder. */
  async settled(): Promise<void> {
    await this.backupList?.settled();
  }
}
