// Attacks on `lifeboat serve` from the network and from other web pages in the user's browser:
// DNS rebinding, cross-site requests, slow clients holding the backup lock or a connection,
// revoked or unreadable tokens, and replayed signed links. Each row runs against a real server
// process and checks the refusal and that nothing was written or changed.

import { readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { runCli } from '../../helpers/cli.js';
import { HaWsClient, RawWs } from '../../helpers/ha-ws-client.js';
import { downloadHashed, httpRequest, multipartUpload } from '../../helpers/http-client.js';
import { createToken, eventually } from '../../helpers/lifeboat-server.js';
import type { AttackRow } from '../attack-row.js';
import { corruptTokensServer, freshServer, packedBackup, setUpServer, slowRequest, snapshot, uploadHead, within } from '../server-fixtures.js';

const ATTACKER = 'attacker.example';

/** The answer to a WebSocket upgrade the server refused: its status and JSON body. */
function refusedUpgrade(url: string, headers: Record<string, string>): Promise<{ status: number; body: { code?: string; message?: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { code?: string; message?: string } }));
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the server accepted the WebSocket'));
    });
    ws.on('error', () => undefined);
  });
}

export const rows: AttackRow[] = [
  {
    attack: 'DNS rebinding over HTTP: a request (even with a valid token) for a Host name nobody allowed',
    async prove() {
      const { server, installation, token } = await setUpServer();
      const before = await snapshot(installation);
      for (const host of [ATTACKER, `${ATTACKER}:${server.port}`, `localhost.${ATTACKER}`, '192.0.2.7']) {
        for (const [method, path] of [
          ['POST', '/api/services/backup/create'],
          ['GET', '/api/states'],
          ['GET', '/'],
        ] as const) {
          const res = await httpRequest(`${server.url}${path}`, { method, token, headers: { host } });
          expect(res.status, `${method} ${path} Host ${host}`).toBe(421);
          expect(res.json()).toMatchObject({ code: 'host_not_allowed', message: expect.stringContaining('--allowed-host') });
        }
      }
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'DNS rebinding over WebSocket: an upgrade for a Host name nobody allowed',
    async prove() {
      const { server, installation } = await setUpServer();
      const before = await snapshot(installation);
      const refused = await refusedUpgrade(server.wsUrl, { host: `${ATTACKER}:${server.port}` });
      expect(refused.status).toBe(421);
      expect(refused.body).toMatchObject({ code: 'host_not_allowed', message: expect.stringContaining(`--allowed-host ${ATTACKER}`) });
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'cross-origin POST: another site’s page uploads a backup (multipart, no preflight)',
    async prove() {
      const { server, installation, token } = await setUpServer();
      const before = await snapshot(installation);
      const { path } = await packedBackup();
      const file = await readFile(path);
      for (const headers of [`Origin: http://${ATTACKER}\r\n`, 'Origin: null\r\n', `Sec-Fetch-Site: cross-site\r\nOrigin: ${server.url}\r\n`]) {
        // Refused on the headers: the server answers and closes before the file is sent.
        const head = uploadHead('/api/backup/upload?agent_id=backup.local', token, file.length + 200, headers);
        const res = await slowRequest(server.port, head, [{ afterMs: 50, data: file.toString('latin1') }]);
        expect(res.status, headers).toBe(403);
        expect(JSON.parse(res.body)).toMatchObject({ code: 'origin_not_allowed', message: expect.any(String) });
      }
      expect(await snapshot(installation)).toEqual(before);
      // The same upload without a foreign Origin goes through (the row refuses the origin, nothing else).
      const ok = await multipartUpload(`${server.url}/api/backup/upload?agent_id=backup.local`, path, { token, fileName: 'again.tar' });
      expect(ok.status).toBe(201);
    },
  },
  {
    attack: 'cross-origin onboarding: another site’s page uploads and restores a backup on a fresh machine',
    async prove() {
      const { server, installation } = await freshServer();
      const before = await snapshot(installation);
      const { path, backupId } = await packedBackup();
      // Onboarding is open (a same-site client could restore): the Origin is what refuses. A
      // text/plain body needs no preflight, and the restore reads it as JSON.
      expect((await httpRequest(`${server.url}/api/onboarding/backup/info`)).status).toBe(200);
      const restore = (headers: Record<string, string>, body: unknown = { backup_id: backupId, agent_id: 'backup.local' }) =>
        httpRequest(`${server.url}/api/onboarding/backup/restore`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8', ...headers }, body: JSON.stringify(body) });
      const foreign: Record<string, string>[] = [{ origin: `http://${ATTACKER}` }, { origin: 'null' }, { origin: server.url, 'sec-fetch-site': 'cross-site' }];
      for (const headers of foreign) {
        const refused = await restore(headers);
        expect(refused.status, JSON.stringify(headers)).toBe(403);
        expect(refused.json()).toMatchObject({ code: 'origin_not_allowed', message: expect.any(String) });
      }
      // From the page's own origin the same kind of body is read (this one asks for what core restore cannot do).
      const own = await restore({ origin: server.url }, { backup_id: backupId, agent_id: 'backup.local', restore_addons: ['core_ssh'] });
      expect(own.json()).toEqual({ code: 'restore_failed', message: 'Addons and folders are not supported in core restore' });
      const file = await readFile(path);
      const head = uploadHead('/api/onboarding/backup/upload?agent_id=backup.local', null, file.length + 200, `Origin: http://${ATTACKER}\r\n`);
      const upload = await slowRequest(server.port, head, [{ afterMs: 50, data: file.toString('latin1') }]);
      expect(upload.status).toBe(403);
      expect(JSON.parse(upload.body)).toMatchObject({ code: 'origin_not_allowed' });
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'cross-origin WebSocket: another site’s page opens the API socket',
    async prove() {
      const { server, installation, token } = await setUpServer();
      const before = await snapshot(installation);
      const attempts: Record<string, string>[] = [{ origin: `http://${ATTACKER}` }, { origin: `http://localhost:${server.port + 1}` }, { origin: server.url, 'sec-fetch-site': 'cross-site' }];
      for (const headers of attempts) {
        const refused = await refusedUpgrade(server.wsUrl, headers);
        expect(refused.status, JSON.stringify(headers)).toBe(403);
        expect(refused.body).toMatchObject({ code: 'origin_not_allowed', message: expect.any(String) });
      }
      // The page's own origin is fine.
      const own = await HaWsClient.connect(server.wsUrl, token, { origin: server.url });
      expect((await own.ping()).type).toBe('pong');
      own.close();
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'slow-loris upload: a client sends a few bytes, then stalls or trickles, to hold the backup lock',
    async prove() {
      const { server, installation, token } = await setUpServer();
      const before = await snapshot(installation);
      const head = uploadHead('/api/backup/upload?agent_id=backup.local', token, 10 * 1024 * 1024);
      for (const [what, chunks] of [
        ['stalls', [{ afterMs: 10, data: 'ustar-and-then-nothing' }]],
        ['trickles', Array.from({ length: 40 }, () => ({ afterMs: 100, data: 'x' }))],
      ] as const) {
        const answer = slowRequest(server.port, head, [...chunks]);
        // It did take the lock (the attack is real) …
        await eventually(async () => (await snapshot(installation)).lock === 'receive_backup', `${what}: the upload holds the lock`, 10_000, 20);
        const res = await answer;
        // … and lost it: refused with 408 and a message, the connection closed within seconds.
        expect(res.status, what).toBe(408);
        expect(JSON.parse(res.body)).toMatchObject({ code: 'upload_stalled', message: expect.stringMatching(what === 'stalls' ? /no data for 1 s/ : /too slow/) });
        expect(res.closedAfterMs, what).toBeLessThan(10_000);
        await eventually(async () => (await snapshot(installation)).lock === null, `${what}: the lock is released`, 10_000, 20);
        expect(await snapshot(installation), what).toEqual(before);
      }
      // The next backup runs.
      const create = await httpRequest(`${server.url}/api/services/backup/create`, { method: 'POST', token });
      expect(create.status, create.text()).toBe(200);
      expect((await snapshot(installation)).backups).toHaveLength(before.backups.length + 1);
    },
  },
  {
    attack: 'a WebSocket that never authenticates, to hold a connection',
    async prove() {
      const { server, installation } = await setUpServer();
      const before = await snapshot(installation);
      const raw = await RawWs.open(server.wsUrl);
      expect((await raw.next()).type).toBe('auth_required');
      const closed = await within(raw.closed, 5000, 'the server closes the silent socket');
      expect(closed.code).toBe(4001);
      expect(raw.received.map((m) => m.type)).toEqual(['auth_required', 'auth_invalid']);
      expect(raw.received[1]?.message).toBe('No auth message within 1 s');
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'a revoked token keeps using its open WebSocket (revoked by `lifeboat token revoke` in another process)',
    async prove() {
      const { server, installation } = await setUpServer();
      const victim = await createToken(installation, 'to-revoke');
      const ws = await HaWsClient.connect(server.wsUrl, victim);
      const events: unknown[] = [];
      await ws.subscribe('subscribe_events', { event_type: 'state_changed' }, (e) => events.push(e));
      const before = await snapshot(installation);
      const revoked = await runCli(['-c', installation, 'token', 'revoke', 'to-revoke']);
      expect(revoked.code, revoked.stderr).toBe(0);
      const closed = await within(ws.raw.closed, 5000, 'the server closes the revoked token’s socket');
      expect(closed).toEqual({ code: 4001, reason: 'token revoked' });
      const http = await httpRequest(`${server.url}/api/states`, { token: victim });
      expect(http.status).toBe(401);
      expect(http.json()).toMatchObject({ code: 'unauthorized' });
      const again = await HaWsClient.connect(server.wsUrl, victim).catch((err: Error) => err);
      expect(String(again)).toMatch(/Invalid access token/);
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'a damaged tokens.json, to make a set-up machine look fresh and open onboarding to anyone',
    async prove() {
      const { server, installation } = await corruptTokensServer();
      const before = await snapshot(installation);
      const { backupId } = await packedBackup();
      expect((await httpRequest(`${server.url}/api/onboarding/backup/info`)).status).toBe(401);
      const restore = await httpRequest(`${server.url}/api/onboarding/backup/restore`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ backup_id: backupId, agent_id: 'backup.local' }),
      });
      expect(restore.status).toBe(401);
      expect(restore.json()).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('Onboarding is finished') });
      // Every token is refused, with the reason.
      const withToken = await httpRequest(`${server.url}/api/states`, { token: 'lbt_any-token-at-all' });
      expect(withToken.status).toBe(503);
      expect(withToken.json()).toMatchObject({ code: 'token_store_unreadable', message: expect.stringMatching(/tokens\.json cannot be read/) });
      // serve keeps running and said why in its log.
      expect((await httpRequest(`${server.url}/healthz`)).status).toBe(200);
      const errors = server
        .output()
        .stderr.split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { level: number; msg: string; error?: string })
        .filter((l) => l.level >= 50);
      expect(errors).toContainEqual(expect.objectContaining({ msg: 'Every access token is refused', error: expect.stringMatching(/tokens\.json cannot be read/) }));
      expect(errors).toContainEqual(expect.objectContaining({ msg: expect.stringMatching(/^Onboarding is closed/), error: expect.stringMatching(/tokens\.json cannot be read/) }));
      expect(await snapshot(installation)).toEqual(before);
    },
  },
  {
    attack: 'replay of a signed download link',
    async prove() {
      const { server, installation, token } = await setUpServer();
      const { backupId } = await packedBackup();
      const ws = await HaWsClient.connect(server.wsUrl, token);
      const { path } = await ws.call<{ path: string }>('auth/sign_path', { path: `/api/backup/download/${backupId}?agent_id=backup.local` });
      ws.close();
      const before = await snapshot(installation);
      const first = await downloadHashed(`${server.url}${path}`);
      expect(first.status).toBe(200);
      expect(first.complete).toBe(true);
      const replay = await httpRequest(`${server.url}${path}`);
      expect(replay.status).toBe(401);
      expect(replay.json()).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('already used') });
      expect(await snapshot(installation)).toEqual(before);
    },
  },
];
