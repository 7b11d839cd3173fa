// Authentication of every way into a running `lifeboat serve`: each HTTP route of the server's
// route table (enumerated by hand from src/server/http-routes.ts and http-server.ts, plus unknown
// /api/ paths) and each WebSocket command name (from buildCommands) is tried without a token and
// with a wrong one. Only /healthz and the web UI are public; onboarding routes are open only on an
// empty installation without tokens. Also: failed attempts are rate-limited per address (HTTP and
// WebSocket share the count), foreign WebSocket origins and state-changing requests from foreign
// origins are refused (403, before the token is looked at), no CORS headers are sent, and
// the server listens on 127.0.0.1 only. Each probe connects from its own 127.x.y.z address so the
// rate limiter does not mix them up.

import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { readdir, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LifeboatCore } from '../../src/core/lifeboat-core.js';
import { buildCommands } from '../../src/server/ws-commands.js';
import { PathSigner } from '../../src/server/signed-paths.js';
import { HaWsClient, RawWs } from '../helpers/ha-ws-client.js';
import { httpRequest, multipartUpload, type HttpResponse } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, createTokenDirect, eventually, startServerInProcess, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';

/** A fresh loopback source address for each probe: 127.40.0.1, 127.40.0.2, … */
let addressCounter = 0;
function freshAddress(): string {
  addressCounter++;
  return `127.40.${Math.floor(addressCounter / 250)}.${(addressCounter % 250) + 1}`;
}

type Auth = 'read' | 'admin' | 'onboarding';
interface Route {
  method: 'GET' | 'POST' | 'HEAD';
  path: string;
  auth: Auth;
  body?: 'multipart' | 'json';
}

/** The server's route table (src/server/http-routes.ts registerRoutes, http-server.ts /api/websocket). */
const ROUTES: Route[] = [
  { method: 'GET', path: '/api/', auth: 'read' },
  { method: 'GET', path: '/api/backup/download/deadbeef?agent_id=backup.local', auth: 'admin' },
  { method: 'GET', path: '/api/backup/download/deadbeef?agent_id=backup.local&password=x', auth: 'admin' },
  { method: 'POST', path: '/api/backup/upload?agent_id=backup.local', auth: 'admin', body: 'multipart' },
  { method: 'GET', path: '/api/states', auth: 'read' },
  { method: 'GET', path: '/api/states/sensor.backup_backup_manager_state', auth: 'read' },
  { method: 'POST', path: '/api/services/backup/create', auth: 'admin', body: 'json' },
  { method: 'POST', path: '/api/services/backup/create_automatic', auth: 'admin', body: 'json' },
  { method: 'GET', path: '/api/diagnostics', auth: 'admin' },
  { method: 'GET', path: '/api/onboarding/backup/info', auth: 'onboarding' },
  { method: 'POST', path: '/api/onboarding/backup/upload?agent_id=backup.local', auth: 'onboarding', body: 'multipart' },
  { method: 'POST', path: '/api/onboarding/backup/restore', auth: 'onboarding', body: 'json' },
];
/** Fastify answers HEAD for every GET route. */
const HEAD_ROUTES: Route[] = ROUTES.filter((r) => r.method === 'GET').map((r) => ({ ...r, method: 'HEAD' }));

/** Paths that match no route (and method mismatches): still API paths, never public. */
const UNKNOWN: { method: string; path: string }[] = [
  { method: 'GET', path: '/api/nope' },
  { method: 'GET', path: '/api/backup' },
  { method: 'GET', path: '/api/backup/download/' },
  { method: 'GET', path: '/api/states/' },
  { method: 'GET', path: '/api/config' },
  { method: 'GET', path: '/api/hassio/backups' },
  { method: 'GET', path: '/api/backup/upload' },
  { method: 'GET', path: '/api/websocket/x' },
  { method: 'POST', path: '/api/states' },
  { method: 'DELETE', path: '/api/backup/download/deadbeef' },
  { method: 'PUT', path: '/api/diagnostics' },
  { method: 'OPTIONS', path: '/api/states' },
];

const BOGUS_BACKUP = Buffer.from('not a backup');

async function send(server: LifeboatServer, route: { method: string; path: string; body?: 'multipart' | 'json' }, token: string | null, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const url = `${server.url}${route.path}`;
  const localAddress = freshAddress();
  if (route.body === 'multipart') {
    try {
      return await multipartUpload(url, BOGUS_BACKUP, { token, localAddress, fileName: 'C:bad.tar' });
    } catch (err) {
      // The server may answer 401 and close before the body is sent: retry without a body.
      if (!/EPIPE|ECONNRESET/.test(String(err))) throw err;
      return httpRequest(url, { method: route.method, token, localAddress, headers });
    }
  }
  return httpRequest(url, {
    method: route.method,
    token,
    localAddress,
    headers: route.body === 'json' ? { 'content-type': 'application/json', ...headers } : headers,
    body: route.body === 'json' ? JSON.stringify({ backup_id: 'deadbeef', agent_id: 'backup.local', password: 'x' }) : undefined,
  });
}

function expectJson401(res: HttpResponse, what: string): void {
  expect(res.status, what).toBe(401);
  expect(res.headers['access-control-allow-origin'], what).toBeUndefined();
  if (res.body.length === 0) throw new Error(`${what}: empty body`);
  expect(res.headers['content-type'], what).toMatch(/^application\/json/);
  expect(res.json<{ code: unknown }>().code, what).toEqual(expect.any(String));
}

describe('route authentication of lifeboat serve', () => {
  let inst: string;
  let server: LifeboatServer;
  let admin: string;
  let readOnly: string;
  let backupsBefore: string[];

  beforeAll(async () => {
    const dir = await tmpDir('lifeboat-auth-');
    inst = join(dir, 'config');
    await makeInstallation(inst);
    admin = await createToken(inst, 'admin');
    readOnly = await createToken(inst, 'reader', true);
    server = await startServerProcess({ installation: inst });
    backupsBefore = (await readdir(join(inst, 'backups'))).sort();
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('listens on 127.0.0.1 by default, as the serve output says, and on no other address', async () => {
    expect(server.servingLine).toMatch(/^Lifeboat is serving .+ on http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const others = ['127.0.0.2', ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((i) => i.family === 'IPv4' && !i.internal).map((i) => i.address))];
    for (const host of others) {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ host, port: server.port });
        socket.setTimeout(3000, () => {
          socket.destroy();
          resolve('timeout');
        });
        socket.on('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(outcome, host).not.toBe('connected');
    }
  });

  it('serves /healthz without a token', async () => {
    const res = await httpRequest(`${server.url}/healthz`, { localAddress: freshAddress() });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', state: 'idle' });
  });

  it.each([...ROUTES, ...HEAD_ROUTES].map((r) => [`${r.method} ${r.path}`, r] as const))('%s answers 401 with a JSON code without a token and with a wrong token', async (name, route) => {
    for (const [label, token] of [
      ['no token', null],
      ['wrong token', 'lbt_wrong-token-0000000000000000000000000000000'],
      ['malformed header', 'not-even-a-token'],
    ] as const) {
      // A foreign Origin on a state-changing request is refused before the token is looked at (below).
      const res = await send(server, route, token, route.method === 'POST' ? {} : { origin: 'http://evil.example' });
      if (route.method === 'HEAD') {
        expect(res.status, `${name} ${label}`).toBe(401);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
      } else {
        expectJson401(res, `${name} (${label})`);
      }
    }
    // Basic auth or a token in the query string are not accepted either.
    const basic = await httpRequest(`${server.url}${route.path}`, {
      method: route.method,
      localAddress: freshAddress(),
      headers: { authorization: `Basic ${Buffer.from(`x:${admin}`).toString('base64')}` },
    });
    expect(basic.status, `${name} basic auth`).toBe(401);
    const sep = route.path.includes('?') ? '&' : '?';
    const query = await httpRequest(`${server.url}${route.path}${sep}access_token=${admin}`, { method: route.method, localAddress: freshAddress() });
    expect(query.status, `${name} token in query`).toBe(401);
  });

  it('answers every unknown API path (and wrong method) with 401 and a JSON code, without a token and with a wrong one', async () => {
    const wrong: string[] = [];
    for (const route of UNKNOWN) {
      for (const token of [null, 'lbt_wrong']) {
        const origin: Record<string, string> = ['GET', 'HEAD', 'OPTIONS'].includes(route.method) ? { origin: 'http://evil.example' } : {};
        const res = await send(server, route, token, { ...origin, 'access-control-request-method': 'GET' });
        const json = /^application\/json/.test(res.headers['content-type'] ?? '') ? res.json<{ code?: unknown }>() : null;
        if (res.status !== 401 || typeof json?.code !== 'string' || res.headers['access-control-allow-origin'] !== undefined) {
          wrong.push(`${route.method} ${route.path} (${token ?? 'no token'}): ${res.status} ${res.text().slice(0, 80)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses every state-changing route from a foreign Origin with 403 and a JSON code, even with a valid admin token', async () => {
    const wrong: string[] = [];
    const changing = [...ROUTES.filter((r) => r.method === 'POST'), ...UNKNOWN.filter((r) => !['GET', 'HEAD', 'OPTIONS'].includes(r.method))];
    for (const route of changing) {
      for (const headers of [{ origin: 'http://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
        const url = `${server.url}${route.path}`;
        const res = await httpRequest(url, { method: route.method, token: admin, localAddress: freshAddress(), headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
        const json = /^application\/json/.test(res.headers['content-type'] ?? '') ? res.json<{ code?: unknown; message?: unknown }>() : null;
        if (res.status !== 403 || json?.code !== 'origin_not_allowed' || typeof json.message !== 'string') {
          wrong.push(`${route.method} ${route.path} ${JSON.stringify(headers)}: ${res.status} ${res.text().slice(0, 80)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('changed nothing: no backup was created or received by the refused requests', async () => {
    expect((await readdir(join(inst, 'backups'))).sort()).toEqual(backupsBefore);
  });

  it('lets the table’s routes through with a valid admin token (so the table names real routes)', async () => {
    const expected: Record<string, number> = {
      'GET /api/': 200,
      'GET /api/backup/download/deadbeef?agent_id=backup.local': 404,
      'GET /api/backup/download/deadbeef?agent_id=backup.local&password=x': 404,
      'POST /api/backup/upload?agent_id=backup.local': 400, // the invalid file name C:bad.tar
      'GET /api/states': 200,
      'GET /api/states/sensor.backup_backup_manager_state': 200,
      'GET /api/diagnostics': 200,
      // Onboarding is over: a token exists and the installation has files.
      'GET /api/onboarding/backup/info': 401,
      'POST /api/onboarding/backup/upload?agent_id=backup.local': 401,
      'POST /api/onboarding/backup/restore': 401,
    };
    for (const route of ROUTES) {
      const name = `${route.method} ${route.path}`;
      if (!(name in expected)) continue; // the service calls create backups; rest-services.test.ts covers them
      const res = await send(server, route, admin);
      expect(res.status, name).toBe(expected[name]);
      expect(res.headers['access-control-allow-origin'], name).toBeUndefined();
    }
    for (const route of UNKNOWN.filter((r) => r.method === 'GET' && !['/api/states/', '/api/backup/download/'].includes(r.path))) {
      const res = await send(server, route, admin);
      expect(res.status, route.path).toBe(404);
      expect(res.json<{ code: string }>().code).toBe('not_found');
    }
  });

  it('lets a read-only token read states but refuses it the admin routes', async () => {
    expect((await httpRequest(`${server.url}/api/states`, { token: readOnly, localAddress: freshAddress() })).status).toBe(200);
    for (const path of ['/api/diagnostics', '/api/backup/download/deadbeef?agent_id=backup.local']) {
      const res = await httpRequest(`${server.url}${path}`, { token: readOnly, localAddress: freshAddress() });
      // As Home Assistant: 401 for a caller who is not an administrator.
      expect(res.status, path).toBe(401);
      expect(res.json()).toMatchObject({ code: 'unauthorized' });
    }
    const create = await httpRequest(`${server.url}/api/services/backup/create`, { method: 'POST', token: readOnly, localAddress: freshAddress() });
    expect(create.status).toBe(401);
    expect((await readdir(join(inst, 'backups'))).sort()).toEqual(backupsBefore);
  });

  it('sends no CORS headers, not even to a preflight from a foreign origin', async () => {
    for (const token of [null, admin]) {
      const res = await httpRequest(`${server.url}/api/states`, {
        method: 'OPTIONS',
        token,
        localAddress: freshAddress(),
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      expect(res.status).not.toBe(204);
      expect(res.status).not.toBe(200);
      for (const header of Object.keys(res.headers)) expect(header).not.toMatch(/^access-control-/);
    }
    const get = await httpRequest(`${server.url}/api/states`, { token: admin, localAddress: freshAddress(), headers: { origin: 'http://evil.example' } });
    expect(get.status).toBe(200);
    for (const header of Object.keys(get.headers)) expect(header).not.toMatch(/^access-control-/);
  });

  describe('WebSocket', () => {
    const commandNames = [...buildCommands({} as LifeboatCore, new PathSigner()).keys()];
    /** Handled by the protocol itself rather than the command registry. */
    const protocolTypes = ['ping', 'unsubscribe_events', 'supported_features', 'get_config', 'call_service'];

    it('knows the command table it is checking', () => {
      expect(commandNames).toEqual(
        expect.arrayContaining([
          'backup/agents/info',
          'backup/info',
          'backup/details',
          'backup/delete',
          'backup/generate',
          'backup/generate_with_automatic_settings',
          'backup/restore',
          'backup/can_decrypt_on_download',
          'backup/subscribe_events',
          'backup/config/info',
          'backup/config/update',
          'get_states',
          'subscribe_events',
          'lifeboat/key/show',
        ]),
      );
    });

    it.each([...commandNames, ...protocolTypes])('%s is impossible without authenticating: auth_invalid, socket closed, no result', async (type) => {
      // Sent instead of the auth message.
      const raw = await RawWs.open(server.wsUrl, { localAddress: freshAddress() });
      expect((await raw.next()).type).toBe('auth_required');
      raw.send({ id: 1, type, backup_id: 'deadbeef', agent_id: 'backup.local', agent_ids: ['backup.local'], subscription: 1 });
      expect((await raw.next()).type).toBe('auth_invalid');
      await raw.closed;
      expect(raw.received.map((m) => m.type)).toEqual(['auth_required', 'auth_invalid']);

      // Sent right behind a wrong token, without waiting for the answer.
      const raw2 = await RawWs.open(server.wsUrl, { localAddress: freshAddress() });
      await raw2.next();
      raw2.send({ type: 'auth', access_token: 'lbt_wrong' });
      raw2.send({ id: 1, type, backup_id: 'deadbeef', agent_id: 'backup.local', agent_ids: ['backup.local'], subscription: 1 });
      raw2.send({ id: 2, type });
      await raw2.closed;
      expect(raw2.received.map((m) => m.type)).toEqual(['auth_required', 'auth_invalid']);
    });

    it('refuses a WebSocket from a foreign Origin before the handshake starts', async () => {
      for (const origin of ['http://evil.example', `http://localhost.evil.example:${server.port}`, 'null']) {
        const raw = await RawWs.open(server.wsUrl, { origin, localAddress: freshAddress() }).catch((err: Error) => err);
        if (raw instanceof Error) continue; // refused at the upgrade: fine too
        const closed = await raw.closed;
        expect(closed.code, origin).toBe(4003);
        expect(raw.received, origin).toEqual([]);
      }
      // The server's own origin is fine.
      const same = await HaWsClient.connect(server.wsUrl, admin, { origin: server.url, localAddress: freshAddress() });
      expect((await same.ping()).type).toBe('pong');
      same.close();
    });
  });

  describe('rate limiting of failed attempts', () => {
    it('locks an address out after repeated wrong tokens over HTTP: 429, even for a valid token, and over WebSocket too', async () => {
      const address = '127.41.0.1';
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        statuses.push((await httpRequest(`${server.url}/api/states`, { token: `lbt_guess_${i}`, localAddress: address })).status);
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses[5]).toBe(429);
      const locked = await httpRequest(`${server.url}/api/states`, { token: admin, localAddress: address });
      expect(locked.status).toBe(429);
      expect(locked.json()).toMatchObject({ code: 'too_many_attempts' });
      const err = await HaWsClient.connect(server.wsUrl, admin, { localAddress: address }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Too many failed attempts/);
      // Other addresses are not affected.
      expect((await httpRequest(`${server.url}/api/states`, { token: admin, localAddress: freshAddress() })).status).toBe(200);
    });

    it('counts wrong tokens over WebSocket the same way, and then refuses HTTP from that address', async () => {
      const address = '127.41.0.2';
      const messages: string[] = [];
      for (let i = 0; i < 6; i++) {
        const err = await HaWsClient.connect(server.wsUrl, `lbt_guess_${i}`, { localAddress: address }).catch((e: Error) => e);
        messages.push((err as Error).message);
      }
      expect(messages.slice(0, 5).every((m) => !/Too many/.test(m))).toBe(true);
      expect(messages[5]).toMatch(/Too many failed attempts/);
      expect((await httpRequest(`${server.url}/api/states`, { token: admin, localAddress: address })).status).toBe(429);
    });
  });
});

describe('onboarding routes are open only on an empty installation without tokens', () => {
  const onboarding = ROUTES.filter((r) => r.auth === 'onboarding');

  it('answer on an empty installation, and 401 once a token exists', async () => {
    const dir = await tmpDir('lifeboat-onb-');
    const inst = join(dir, 'config');
    await mkdir(inst);
    const server = await startServerProcess({ installation: inst });
    try {
      const info = await httpRequest(`${server.url}/api/onboarding/backup/info`, { localAddress: freshAddress() });
      expect(info.status).toBe(200);
      expect(info.json()).toEqual({ backups: [], state: 'idle', last_action_event: null });
      // Everything else still needs a token.
      expectJson401(await httpRequest(`${server.url}/api/states`, { localAddress: freshAddress() }), 'states while onboarding');
      await createToken(inst, 'first');
      await eventually(async () => (await httpRequest(`${server.url}/api/onboarding/backup/info`, { localAddress: freshAddress() })).status === 401, 'onboarding closed', 5000);
      for (const route of onboarding) expectJson401(await send(server, route, null), `${route.method} ${route.path} after token create`);
    } finally {
      await server.stop();
    }
  });

  it('answer 401 on an installation that has files, even without any token', async () => {
    const dir = await tmpDir('lifeboat-onb-');
    const inst = join(dir, 'config');
    await mkdir(inst);
    await writeFile(join(inst, 'configuration.yaml'), 'homeassistant:\n');
    const server = await startServerProcess({ installation: inst });
    try {
      for (const route of onboarding) expectJson401(await send(server, route, null), `${route.method} ${route.path} on a used installation`);
    } finally {
      await server.stop();
    }
  });
});

describe('with a web UI', () => {
  let server: LifeboatServer;
  let admin: string;

  beforeAll(async () => {
    const dir = await tmpDir('lifeboat-web-');
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    admin = await createTokenDirect(inst, 'admin');
    const web = join(dir, 'web');
    await mkdir(join(web, 'assets'), { recursive: true });
    await writeFile(join(web, 'index.html'), '<!doctype html><title>Lifeboat</title>');
    await writeFile(join(web, 'assets', 'app.js'), 'console.log(1)');
    server = await startServerInProcess({ installation: inst, webRoot: web });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the web UI without a token (files and client-side routes)', async () => {
    for (const path of ['/', '/assets/app.js', '/backups/some-page']) {
      const res = await httpRequest(`${server.url}${path}`, { localAddress: freshAddress() });
      expect(res.status, path).toBe(200);
    }
    expect((await httpRequest(`${server.url}/backups/x`, { localAddress: freshAddress() })).text()).toContain('<title>Lifeboat</title>');
  });

  it('still answers every API route with 401 without a token', async () => {
    for (const route of ROUTES.filter((r) => r.auth !== 'onboarding')) expectJson401(await send(server, route, null), `${route.method} ${route.path}`);
    expect((await httpRequest(`${server.url}/api/states`, { token: admin, localAddress: freshAddress() })).status).toBe(200);
  });

  it('answers unknown API paths with 401 without a token, as without a web UI (the UI’s catch-all route must not make /api/* public)', async () => {
    const wrong: string[] = [];
    for (const route of UNKNOWN) {
      const res = await send(server, route, null);
      if (res.status !== 401) wrong.push(`${route.method} ${route.path}: ${res.status} ${res.text().slice(0, 80)}`);
    }
    expect(wrong).toEqual([]);
  });
});
