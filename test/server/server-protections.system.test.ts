// The server's protections seen from a client: the security headers on the web UI and the API,
// the names it answers to (`--allowed-host` and the allowed_hosts setting, taken in while it runs,
// also for Origin), the headers and body timeouts, and a WebSocket closed at once when its token
// is revoked in the same process. (The attacks themselves are rows of test/security/.)

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { HaWsClient } from '../helpers/ha-ws-client.js';
import { httpRequest } from '../helpers/http-client.js';
import { makeInstallation } from '../helpers/installation.js';
import { createToken, eventually, startServerInProcess, startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { tmpDir } from '../helpers/tmp.js';
import { slowRequest, within } from '../security/server-fixtures.js';

describe('an in-process server with a web UI and short timeouts', () => {
  let server: LifeboatServer & { handle: Awaited<ReturnType<typeof startServerInProcess>>['handle'] };

  beforeAll(async () => {
    const dir = await tmpDir('lifeboat-protect-');
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const web = join(dir, 'web');
    await mkdir(join(web, 'assets'), { recursive: true });
    await writeFile(join(web, 'index.html'), '<!doctype html><title>Lifeboat</title>');
    await writeFile(join(web, 'assets', 'app.js'), 'console.log(1)');
    server = await startServerInProcess({
      installation: inst,
      webRoot: web,
      // A long check interval: a revoke in this process must not wait for it.
      http: { limits: { headersTimeoutMs: 500, bodyIdleTimeoutMs: 500, tokenCheckIntervalMs: 60_000 } },
    });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('sends the security headers with the web UI, API answers and errors', async () => {
    const token = (await server.handle.core.tokens.create('headers')).token;
    for (const [path, withToken, status] of [
      ['/', false, 200],
      ['/assets/app.js', false, 200],
      ['/backups/x', false, 200],
      ['/api/states', true, 200],
      ['/api/states', false, 401],
      ['/api/nope', true, 404],
      ['/healthz', false, 200],
    ] as const) {
      const res = await httpRequest(`${server.url}${path}`, { token: withToken ? token : null });
      expect(res.status, path).toBe(status);
      const csp = String(res.headers['content-security-policy']);
      for (const directive of ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"]) {
        expect(csp, `${path}: ${directive}`).toContain(directive);
      }
      expect(csp, path).toContain(`connect-src 'self' ws://127.0.0.1:${server.port} wss://127.0.0.1:${server.port}`);
      expect(res.headers['x-frame-options'], path).toBe('DENY');
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.headers['referrer-policy'], path).toBe('no-referrer');
    }
  });

  it('answers a client that does not finish its headers with 408 and closes the connection', async () => {
    const res = await slowRequest(server.port, 'GET /api/states HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    expect(res.status).toBe(408);
    expect(res.closedAfterMs).toBeLessThan(5000);
  });

  it('closes the connection of a request body that stops arriving, whether it was refused before the body or waits for it', async () => {
    const token = (await server.handle.core.tokens.create('body')).token;
    for (const auth of ['', `Authorization: Bearer ${token}\r\n`]) {
      const head = `POST /api/services/backup/create HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":`;
      const res = await slowRequest(server.port, head);
      expect(res.closedAfterMs, auth).toBeLessThan(5000);
      expect(res.status, auth).toBe(auth ? null : 401);
    }
    expect(server.handle.core.status.state).toBe('idle');
  });

  it('closes a WebSocket at once when its token is revoked in this process, and refuses the token after', async () => {
    const { token, info } = await server.handle.core.tokens.create('to-revoke');
    const ws = await HaWsClient.connect(server.wsUrl, token);
    expect((await ws.ping()).type).toBe('pong');
    await server.handle.core.tokens.revoke(info.id);
    expect(await within(ws.raw.closed, 2000, 'the socket of the revoked token is closed')).toEqual({ code: 4001, reason: 'token revoked' });
    expect((await httpRequest(`${server.url}/api/states`, { token })).status).toBe(401);
  });
});

describe('names the server answers to', () => {
  let inst: string;
  let server: LifeboatServer;
  let token: string;

  beforeAll(async () => {
    inst = join(await tmpDir('lifeboat-hosts-'), 'config');
    await makeInstallation(inst);
    token = await createToken(inst, 'admin');
    server = await startServerProcess({ installation: inst, args: ['--allowed-host', 'lifeboat.lan'] });
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers to a name given with --allowed-host, on any port, and accepts it as Origin (a reverse proxy in front)', async () => {
    expect((await httpRequest(`${server.url}/api/states`, { token, headers: { host: `lifeboat.lan:${server.port}` } })).status).toBe(200);
    expect((await httpRequest(`${server.url}/api/states`, { token, headers: { host: 'LIFEBOAT.lan' } })).status).toBe(200);
    // A POST from the proxy's page: the Origin passes, the (unknown) route answers.
    const post = await httpRequest(`${server.url}/api/states`, { method: 'POST', token, headers: { host: 'lifeboat.lan', origin: 'https://lifeboat.lan' } });
    expect(post.status).toBe(404);
    const ws = await HaWsClient.connect(server.wsUrl, token, { origin: 'https://lifeboat.lan' });
    ws.close();
    expect((await httpRequest(`${server.url}/api/states`, { token, headers: { host: 'other.lan' } })).status).toBe(421);
  });

  it('refuses an Origin on another port of a loopback name (another local web app)', async () => {
    const res = await httpRequest(`${server.url}/api/states`, { method: 'POST', token, headers: { origin: `http://127.0.0.1:${server.port + 1}` } });
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({ code: 'origin_not_allowed' });
  });

  it('takes in the allowed_hosts setting changed by `lifeboat settings update` while it runs', async () => {
    const request = () => httpRequest(`${server.url}/api/states`, { token, headers: { host: 'proxy.example' } });
    expect((await request()).status).toBe(421);
    const r = await runCli(['-c', inst, 'settings', 'update', JSON.stringify({ allowed_hosts: ['proxy.example'] })]);
    expect(r.code, r.stderr).toBe(0);
    await eventually(async () => (await request()).status === 200, 'proxy.example is answered', 10_000, 200);
    const bad = await runCli(['-c', inst, 'settings', 'update', JSON.stringify({ allowed_hosts: ['https://proxy.example/'] })]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/allowed_hosts.*host names or IP addresses/);
  });

  it('refuses an --allowed-host that is not a host name', async () => {
    const r = await runCli(['-c', inst, 'serve', '--port', '0', '--allowed-host', 'http://lifeboat.lan:8124']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--allowed-host http:\/\/lifeboat\.lan:8124: allowed_hosts entries are host names or IP addresses/);
  });
});
