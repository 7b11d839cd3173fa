// `lifeboat serve --ingress-proxy` seen from its clients: only the proxy's address is answered
// (here 127.0.0.2; on Linux every 127.x address is this machine, so a test connects from either),
// the Home Assistant user it names is signed in for the API and the WebSocket without any token,
// a request from elsewhere is refused whatever headers or token it carries, requests from other
// sites are refused even through the proxy, and the page may be framed by its own origin only.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpRequest } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';

const PROXY = '127.0.0.2';
const USER = { 'x-remote-user-id': 'f00dfeed', 'x-remote-user-name': 'grace', 'x-remote-user-display-name': 'Grace Hopper', 'x-ingress-path': '/api/hassio_ingress/abc' };

let server: LifeboatServer;
let token: string;

beforeAll(async () => {
  const inst = join(await tmpDir('lifeboat-ingress-'), 'config');
  await makeInstallation(inst);
  token = await createToken(inst, 'not-through-ingress');
  server = await startServerProcess({ installation: inst, args: ['--ingress-proxy', PROXY] });
});

afterAll(() => server?.stop());

/** Opens a WebSocket and sends the auth message; resolves with the handshake's outcome and the first result. */
function wsSession(opts: { localAddress: string; headers: Record<string, string>; accessToken: string }): Promise<{ status: number | null; messages: { type: string; [k: string]: unknown }[] }> {
  return new Promise((resolve, reject) => {
    const messages: { type: string; [k: string]: unknown }[] = [];
    const ws = new WebSocket(server.wsUrl, { localAddress: opts.localAddress, headers: opts.headers });
    const timer = setTimeout(() => reject(new Error(`no answer: ${JSON.stringify(messages)}`)), 15_000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? null, messages });
    });
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string };
      messages.push(msg);
      if (msg.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: opts.accessToken }));
      else if (msg.type === 'auth_ok') ws.send(JSON.stringify({ id: 1, type: 'auth/current_user' }));
      else if (msg.type === 'result' || msg.type === 'auth_invalid') {
        clearTimeout(timer);
        ws.close();
        resolve({ status: 101, messages });
      }
    });
  });
}

describe('serving through Home Assistant ingress', () => {
  it('signs in the Home Assistant user the proxy names, for the API and the WebSocket, with no Lifeboat token', async () => {
    const states = await httpRequest(`${server.url}/api/states`, { localAddress: PROXY, headers: USER });
    expect(states.status).toBe(200);
    const session = await wsSession({ localAddress: PROXY, headers: USER, accessToken: '' });
    expect(session.messages.map((m) => m.type)).toEqual(['auth_required', 'auth_ok', 'result']);
    expect(session.messages[2]).toMatchObject({ id: 1, success: true, result: { name: 'Grace Hopper', is_admin: true } });
  });

  it('refuses requests through the proxy that name no user, however the path is spelled', async () => {
    for (const path of ['/api/states', '/%61pi/states', '//api/states', '/']) {
      const res = await httpRequest(`${server.url}${path}`, { localAddress: PROXY });
      expect(res.status, path).toBe(401);
      expect(res.json()).toMatchObject({ code: 'unauthorized' });
    }
  });

  it('refuses every request from another address, with forged user headers or a valid Lifeboat token alike', async () => {
    for (const [what, opts] of [
      ['forged user headers', { headers: USER }],
      ['a valid token', { token }],
      ['nothing', {}],
    ] as const) {
      for (const path of ['/', '/api/states', '/api/']) {
        const res = await httpRequest(`${server.url}${path}`, { localAddress: '127.0.0.1', ...opts });
        expect(res.status, `${what} ${path}`).toBe(403);
        expect(res.json()).toMatchObject({ code: 'not_from_ingress' });
      }
    }
    const ws = await wsSession({ localAddress: '127.0.0.1', headers: USER, accessToken: token });
    expect(ws.status).toBe(403);
  });

  it('answers /healthz whoever asks, for health checks inside the container', async () => {
    const res = await httpRequest(`${server.url}/healthz`, { localAddress: '127.0.0.1' });
    expect(res.status).toBe(200);
  });

  it('refuses changes and WebSockets from another site even through the proxy', async () => {
    const host = new URL(server.url).host;
    const post = await httpRequest(`${server.url}/api/services/backup/create`, {
      method: 'POST',
      localAddress: PROXY,
      headers: { ...USER, origin: 'https://evil.example', host },
    });
    expect(post.status).toBe(403);
    expect(post.json()).toMatchObject({ code: 'origin_not_allowed' });
    const ws = await wsSession({ localAddress: PROXY, headers: { ...USER, origin: 'https://evil.example' }, accessToken: '' });
    expect(ws.status).toBe(403);
  });

  it('lets only its own origin frame the page, as Home Assistant shows it in an iframe', async () => {
    const res = await httpRequest(`${server.url}/api/states`, { localAddress: PROXY, headers: USER });
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  });
});
