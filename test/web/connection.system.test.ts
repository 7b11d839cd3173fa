// The web UI's WebSocket connection in Chromium against a real `lifeboat serve`: while the server
// restarts the page says it is reconnecting, then carries on with its live updates; a token revoked
// while the page is open ends the session; an address locked out after too many wrong tokens is told
// so on the sign-in page.

import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, serve, startSession, wsCall, type Served, type Session } from './web-harness.js';

let session: Session;
let page: Page;
let server: Served;
let restarted: Served | null = null;
let token: string;
let installation: string;
let errors: string[];

beforeAll(async () => {
  installation = await demoInstallation(join(await tmpDir('lifeboat-web-'), 'home'));
  session = await startSession(installation);
  ({ server, token, page, errors } = session);
});

afterAll(async () => {
  await session?.stop();
  await restarted?.stop();
});

describe('web UI: connection', () => {
  it('reconnects after the server restarts, and gets its events again', async () => {
    const banner = page.getByRole('alert').filter({ hasText: 'Reconnecting' });
    const port = Number(new URL(server.url).port);
    await server.stop();
    await banner.waitFor();
    restarted = await serve(installation, port);
    await banner.waitFor({ state: 'hidden' });

    // A backup made by another client shows up without a reload: the subscriptions were set up again.
    await page.getByRole('link', { name: 'Backups', exact: true }).click();
    await page.locator('lb-backups-page h1').waitFor();
    await wsCall(restarted.url, token, 'backup/generate', { agent_ids: ['backup.local'], include_database: false, name: 'After the restart', password: null });
    await page.getByRole('link', { name: 'After the restart' }).waitFor();
  });

  it('ends the session when its token is revoked', async () => {
    const revoked = await runCli(['-c', installation, 'token', 'revoke', 'web-test']);
    expect(revoked.code, revoked.stderr).toBe(0);
    await page.locator('lb-sign-in h1').waitFor();
    await expect.poll(() => page.locator('lb-sign-in #error').textContent()).toBe('This token was not accepted. Check it and try again.');
    expect(await page.evaluate("[sessionStorage.getItem('lifeboat.token'), localStorage.getItem('lifeboat.token')]")).toEqual([null, null]);
  });

  it('says when this address is locked out after too many wrong tokens', async () => {
    const url = (restarted as Served).url;
    // Wrong tokens over HTTP count as well; the answer turns to 429 once the address is locked out.
    let status = 0;
    for (let i = 0; i < 6 && status !== 429; i++) status = (await fetch(`${url}/api/`, { headers: { authorization: 'Bearer lbt_wrong' } })).status;
    expect(status).toBe(429);

    await page.locator('#token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('lb-sign-in #error').textContent()).toBe('Too many failed attempts. Wait a minute and try again.');
    expect(errors).toEqual([]);
  });
});
