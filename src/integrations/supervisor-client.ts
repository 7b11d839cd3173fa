// The Home Assistant Supervisor's REST API, as the add-on calls it: `http://supervisor` with the
// add-on's `SUPERVISOR_TOKEN` as a bearer token, answers in the envelope `{"result": "ok", "data":
// {...}}` or `{"result": "error", "message": "..."}`. Only the calls Lifeboat makes are here, each
// answer checked with a zod schema (the permission each call needs is in docs/addon.md):
// Home Assistant's version (`GET /core/info`), stopping and starting Home Assistant Core around a
// restore (`POST /core/stop`, `POST /core/start`), re-reading the backup folder after Lifeboat
// changed it (`POST /backups/reload`), the MQTT broker's credentials (`GET /services/mqtt`) and the
// add-on's own slug, for a link to its panel (`GET /addons/self/info`).

import { z } from 'zod';

/** Where the Supervisor answers inside an add-on's container. */
export const SUPERVISOR_URL = 'http://supervisor';

const OkEnvelope = z.object({ result: z.literal('ok'), data: z.unknown() });
const ErrorEnvelope = z.object({ result: z.literal('error'), message: z.string().nullish() });

export const CoreInfoSchema = z.looseObject({
  /** Null while Home Assistant Core is not installed yet. */
  version: z.string().nullable(),
  version_latest: z.string().nullish(),
  machine: z.string().nullish(),
});
export type CoreInfo = z.infer<typeof CoreInfoSchema>;

/** The MQTT service as a broker add-on (Mosquitto) registered it. */
export const MqttServiceSchema = z.looseObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  ssl: z.boolean().default(false),
  protocol: z.string().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
});
export type MqttService = z.infer<typeof MqttServiceSchema>;

/** What Lifeboat reads of its own add-on. */
export const SelfInfoSchema = z.looseObject({ slug: z.string().min(1) });
export type SelfInfo = z.infer<typeof SelfInfoSchema>;

/** A call the Supervisor refused or could not be made; `status` is the HTTP status, 0 without an answer. */
export class SupervisorError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface SupervisorClientOptions {
  url?: string;
  token: string;
  /** How long a short call may take, ms (stopping and starting Home Assistant may take minutes). */
  timeoutMs?: number;
}

const LONG_CALL_MS = 10 * 60_000;

export class SupervisorClient {
  private readonly base: string;

  constructor(private readonly opts: SupervisorClientOptions) {
    this.base = (opts.url ?? SUPERVISOR_URL).replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  private async call<S extends z.ZodType>(method: 'GET' | 'POST', path: string, schema: S, timeoutMs = this.opts.timeoutMs ?? 30_000): Promise<z.infer<S>> {
    const what = `${method} ${path}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.opts.token}`,
          // The Supervisor reads a JSON body on these POSTs (an empty one is refused).
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        body: method === 'POST' ? '{}' : undefined,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new SupervisorError(`The Supervisor did not answer ${what}: ${(err as Error).message}`, 0);
    }
    const text = await res.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      /* aiohttp's own 401/403 pages are text */
    }
    const failed = ErrorEnvelope.safeParse(body);
    if (!res.ok || failed.success) {
      const message = failed.success ? (failed.data.message ?? 'error') : text.trim().slice(0, 200) || res.statusText;
      const hint = res.status === 401 || res.status === 403 ? ' (is the add-on allowed this call? see hassio_role in config.yaml)' : '';
      throw new SupervisorError(`The Supervisor refused ${what}: HTTP ${res.status} ${message}${hint}`, res.status);
    }
    const ok = OkEnvelope.safeParse(body);
    if (!ok.success) throw new SupervisorError(`The Supervisor answered ${what} with something that is not its API's envelope`, res.status);
    const data = schema.safeParse(ok.data.data ?? {});
    if (!data.success) throw new SupervisorError(`The Supervisor's answer to ${what} is not as documented: ${data.error.issues[0]?.message ?? 'invalid'}`, res.status);
    return data.data;
  }

  /** `GET /core/info`: Home Assistant Core's version and more. */
  coreInfo(): Promise<CoreInfo> {
    return this.call('GET', '/core/info', CoreInfoSchema);
  }

  /** `POST /core/stop`: resolves once Home Assistant Core has stopped. */
  async stopCore(): Promise<void> {
    await this.call('POST', '/core/stop', z.unknown(), LONG_CALL_MS);
  }

  /** `POST /core/start`: resolves once Home Assistant Core has been started. */
  async startCore(): Promise<void> {
    await this.call('POST', '/core/start', z.unknown(), LONG_CALL_MS);
  }

  /** `POST /backups/reload`: the Supervisor reads its backup folder again. */
  async reloadBackups(): Promise<void> {
    await this.call('POST', '/backups/reload', z.unknown(), 60_000);
  }

  /** `GET /addons/self/info`: this add-on as the Supervisor knows it. */
  selfInfo(): Promise<SelfInfo> {
    return this.call('GET', '/addons/self/info', SelfInfoSchema);
  }

  /** `GET /services/mqtt`: the broker that Home Assistant's MQTT service offers (an error when there is none). */
  mqttService(): Promise<MqttService> {
    return this.call('GET', '/services/mqtt', MqttServiceSchema);
  }
}
