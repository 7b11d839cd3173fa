// A stand-in for the Home Assistant Supervisor's REST API, for tests of the add-on: an HTTP server on
// 127.0.0.1 that implements exactly the calls Lifeboat makes, answering as the Supervisor does
// (`{"result": "ok", "data": {...}}`, errors as `{"result": "error", "message": ...}`), refusing a
// missing (401) or wrong (403) `Authorization: Bearer <SUPERVISOR_TOKEN>`, reading the JSON body
// its POST handlers validate (an empty one is an error, as aiohttp's request.json() makes it), and
// recording every call in order. `onCall` lets a test look at the world at the moment of a call
// (the installation's files when Core is stopped and started).

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';

export interface SupervisorCall {
  method: string;
  path: string;
  /** Whether the call carried the right token. */
  authorized: boolean;
}

export interface MqttServiceData {
  host: string;
  port: number;
  username: string;
  password: string;
  ssl?: boolean;
}

export interface FakeSupervisorOptions {
  token?: string;
  coreVersion?: string;
  slug?: string;
  /** The broker the MQTT service offers; without one, `GET /services/mqtt` answers "Service not enabled". */
  mqtt?: MqttServiceData | null;
  /** Called when a call arrives, before it is answered. */
  onCall?: (call: SupervisorCall) => void | Promise<void>;
}

export interface FakeSupervisor {
  url: string;
  token: string;
  /** Every call, in the order it arrived. */
  readonly calls: SupervisorCall[];
  /** Whether Home Assistant Core runs (POST /core/stop and /core/start switch it). */
  readonly coreRunning: boolean;
  /** "METHOD /path" of the authorized calls, in order. */
  log(): string[];
  stop(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const ok = (res: ServerResponse, data: unknown = {}) => send(res, 200, { result: 'ok', data });
const error = (res: ServerResponse, status: number, message: string) => send(res, status, { result: 'error', message });

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += (chunk as Buffer).toString('utf8');
  return body;
}

export async function startFakeSupervisor(opts: FakeSupervisorOptions = {}): Promise<FakeSupervisor> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const calls: SupervisorCall[] = [];
  let coreRunning = true;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const auth = req.headers.authorization;
    const call: SupervisorCall = { method, path, authorized: auth === `Bearer ${token}` };
    calls.push(call);
    const body = await readBody(req);
    // aiohttp's HTTPUnauthorized / HTTPForbidden pages are plain text.
    if (!auth) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('401: Unauthorized');
      return;
    }
    if (!call.authorized) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('403: Forbidden');
      return;
    }
    await opts.onCall?.(call);
    if (method === 'POST') {
      try {
        JSON.parse(body);
      } catch {
        return error(res, 400, 'Invalid JSON body');
      }
    }
    const route = `${method} ${path}`;
    switch (route) {
      case 'GET /core/info':
        return ok(res, { version: opts.coreVersion ?? '2026.7.1', version_latest: opts.coreVersion ?? '2026.7.1', update_available: false, machine: 'qemux86-64', ip_address: '172.30.32.1', arch: 'amd64', image: 'ghcr.io/home-assistant/qemux86-64-homeassistant', boot: true, port: 8123, ssl: false, watchdog: true });
      case 'POST /core/stop':
        coreRunning = false;
        return ok(res);
      case 'POST /core/start':
        coreRunning = true;
        return ok(res);
      case 'POST /backups/reload':
        return ok(res);
      case 'GET /addons/self/info':
        return ok(res, { name: 'Lifeboat', slug: opts.slug ?? 'local_lifeboat', state: 'started', ingress: true, ingress_url: `/api/hassio_ingress/${randomBytes(8).toString('hex')}/` });
      case 'GET /services/mqtt':
        if (!opts.mqtt) return error(res, 400, 'Service not enabled');
        return ok(res, { host: opts.mqtt.host, port: opts.mqtt.port, ssl: opts.mqtt.ssl ?? false, protocol: '3.1.1', username: opts.mqtt.username, password: opts.mqtt.password, addon: 'core_mosquitto' });
      default:
        return error(res, 404, `${route} is not served by this fake Supervisor`);
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => error(res, 500, String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    get coreRunning() {
      return coreRunning;
    },
    log: () => calls.filter((c) => c.authorized).map((c) => `${c.method} ${c.path}`),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
