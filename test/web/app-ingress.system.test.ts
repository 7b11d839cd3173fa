// Lifeboat as a Home Assistant app (add-on), end to end in Chromium: `lifeboat serve` in app mode
// (SUPERVISOR_TOKEN set) against a fake Supervisor, behind Debian's nginx playing Home Assistant's
// ingress (the prefix `/api/hassio_ingress/<token>/`, the user in X-Remote-User-* headers, the
// page in Home Assistant's iframe), with Mosquitto whose credentials only the Supervisor's MQTT
// service gives. The page signs in by the proxy's headers alone; a backup made there lands in the
// `/backup` stand-in and the Supervisor reloads its list; a restore stops Home Assistant Core
// through the Supervisor before the swap and starts it after — and, as in Home Assistant, the
// ingress is down meanwhile, so the page finds the result once it is back; the Backup device is discovered over
// MQTT; and the server refuses whatever does not come through the proxy.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BackupReader } from '../../src/archive/backup-reader.js';
import { eventually } from '../helpers/eventually.js';
import { httpRequest } from '../helpers/http-client.js';
import { startServerProcess, type LifeboatServer } from '../helpers/lifeboat-server.js';
import { MqttListener } from '../helpers/mqtt-listener.js';
import { tmpDir } from '../helpers/tmp.js';
import { startFakeSupervisor, type FakeSupervisor } from '../servers/fake-supervisor.js';
import { start as startMosquitto, type Mosquitto } from '../servers/mosquitto.js';
import { startNginxIngress, type NginxIngress } from '../servers/nginx-ingress.js';
import { demoInstallation, ensureWebBuilt, launchBrowser, openPage, SCREENSHOTS, watchErrors } from './web-harness.js';

/** Newer than the demo installation's .HA_VERSION, so the backup shows where its version came from. */
const CORE_VERSION = '2026.9.2';
const USER = { id: '8a1b2c3d4e5f60718293a4b5c6d7e8f9', name: 'ada', displayName: 'Ada Lovelace' };

let installation: string;
let backupFolder: string;
let mosquitto: Mosquitto;
let supervisor: FakeSupervisor;
let server: LifeboatServer;
let ingress: NginxIngress;
let browser: Browser;
let page: Page;
let app: FrameLocator;
let errors: string[];
/** configuration.yaml as it was on disk when the Supervisor was asked to stop and to start Core. */
const seenAt: Record<string, string> = {};

beforeAll(async () => {
  await ensureWebBuilt();
  const dir = await tmpDir('lifeboat-app-');
  installation = await demoInstallation(join(dir, 'homeassistant'));
  backupFolder = join(dir, 'backup');
  await mkdir(backupFolder);
  const data = join(dir, 'data');
  await mkdir(data, { mode: 0o700 });
  const options = join(dir, 'options.json');
  await writeFile(options, JSON.stringify({ mqtt_discovery: true, log_level: 'info' }));
  mosquitto = await startMosquitto({ username: 'addons', password: `mqtt-${Math.random().toString(36).slice(2)}` });
  supervisor = await startFakeSupervisor({
    coreVersion: CORE_VERSION,
    mqtt: { host: '127.0.0.1', port: mosquitto.port, username: mosquitto.username, password: mosquitto.password },
    onCall: async (call) => {
      if (call.path === '/core/stop' || call.path === '/core/start') seenAt[call.path] = await readFile(join(installation, 'configuration.yaml'), 'utf8');
      // Home Assistant Core serves the ingress: stopped, it takes the page's connection with it.
      if (call.path === '/core/stop') await ingress.down();
      if (call.path === '/core/start') await ingress.up();
    },
  });
  server = await startServerProcess({
    installation,
    args: ['--host', '127.0.0.1', '--ingress-proxy', '127.0.0.2'],
    env: {
      SUPERVISOR_TOKEN: supervisor.token,
      LIFEBOAT_SUPERVISOR_URL: supervisor.url,
      LIFEBOAT_APP_OPTIONS: options,
      LIFEBOAT_DATA: data,
      LIFEBOAT_BACKUPS: backupFolder,
    },
  });
  ingress = await startNginxIngress({ upstreamPort: server.port, user: USER, proxyAddress: '127.0.0.2' });
  browser = await launchBrowser();
  ({ page } = await openPage(browser));
  errors = watchErrors(page, ingress.url);
  app = page.frameLocator('iframe[title=Lifeboat]');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await ingress?.stop();
  await server?.stop();
  await supervisor?.stop();
  await mosquitto?.stop();
});

describe('Lifeboat as a Home Assistant app, through ingress', () => {
  it('signs the page in by the ingress headers alone: Home Assistant\'s panel shows the overview, no token is asked for', async () => {
    await page.goto(ingress.panelUrl);
    await app.locator('lb-overview h1').waitFor();
    expect(await app.locator('#token').count()).toBe(0);
    expect(await app.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'app-ingress-overview.png'), fullPage: true });
    // Every request of the page kept the ingress prefix (watchErrors reports any that left nginx's origin).
    expect(errors).toEqual([]);
  });

  it("creates a backup from the page that lands in the Supervisor's backup folder, and asks the Supervisor to reload its list", async () => {
    const before = supervisor.log().filter((c) => c === 'POST /backups/reload').length;
    await app.getByRole('button', { name: 'Back up now' }).click();
    const dialog = app.locator('lb-backup-now dialog');
    await dialog.getByLabel('Name').fill('Through ingress');
    await dialog.getByRole('button', { name: 'Create backup' }).click();
    await app.locator('[data-testid=job][data-state=completed]').waitFor({ timeout: 90_000 });
    const tars = (await readdir(backupFolder)).filter((n) => n.endsWith('.tar'));
    expect(tars).toEqual([expect.stringMatching(/^Through_ingress_.*\.tar$/)]);
    await eventually(() => supervisor.log().filter((c) => c === 'POST /backups/reload').length > before, 'the Supervisor was asked to reload its backups');
    // The Home Assistant version in the backup is the one the Supervisor reported.
    const reader = await BackupReader.open(join(backupFolder, tars[0] as string));
    expect(reader.backup.homeassistant_version).toBe(CORE_VERSION);
    await reader.close();
  });

  it('restores it with Home Assistant Core stopped through the Supervisor before the swap and started after it', async () => {
    const original = await readFile(join(installation, 'configuration.yaml'), 'utf8');
    const broken = 'homeassistant:\n  name: Broken by an edit\n';
    await writeFile(join(installation, 'configuration.yaml'), broken);
    const from = supervisor.calls.length;

    await app.getByRole('link', { name: 'Backups', exact: true }).click();
    await app.getByRole('link', { name: 'Through ingress' }).click();
    await app.locator('lb-backup-details h1').waitFor();
    await app.getByRole('button', { name: 'Restore…' }).click();
    await app.locator('lb-restore-wizard h1').waitFor();
    await app.getByRole('button', { name: 'Next' }).click();
    await app.getByLabel('I understand that these files will be replaced').check();
    await app.getByRole('button', { name: 'Restore now' }).click();
    await app.locator('[data-testid=restore-result]').waitFor({ timeout: 90_000 });
    expect(await app.locator('[data-testid=restore-result]').getAttribute('data-ok')).toBe('true');
    // The job's last steps happened while the page was cut off; it still shows the job finished.
    await app.locator('[data-testid=job][data-state=completed]').waitFor();

    const during = supervisor.calls.slice(from).filter((c) => c.authorized && c.path.startsWith('/core/')).map((c) => `${c.method} ${c.path}`);
    const stop = during.indexOf('POST /core/stop');
    const start = during.indexOf('POST /core/start');
    expect(stop).toBeGreaterThan(-1);
    expect(start).toBeGreaterThan(stop);
    // Core was stopped while the old files were still there, and started on the restored ones.
    expect(seenAt['/core/stop']).toBe(broken);
    expect(seenAt['/core/start']).toBe(original);
    expect(await readFile(join(installation, 'configuration.yaml'), 'utf8')).toBe(original);
    expect(supervisor.coreRunning).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'app-ingress-restored.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("publishes the Backup device over MQTT with the broker credentials that only the Supervisor's MQTT service gave", async () => {
    const listener = await MqttListener.connect({ url: mosquitto.url, username: mosquitto.username, password: mosquitto.password }, ['homeassistant/#']);
    try {
      const config = await listener.waitFor((m) => /^homeassistant\/sensor\/.+\/config$/.test(m.topic) && m.retain, 'a retained sensor discovery config');
      const payload = JSON.parse(config.payload) as { device: { name: string; configuration_url?: string } };
      expect(payload.device.name).toBeTruthy();
      expect(payload.device.configuration_url).toBe('homeassistant://hassio/ingress/local_lifeboat');
    } finally {
      await listener.close();
    }
    expect(supervisor.log()).toContain('GET /services/mqtt');
  });

  it('refuses every request that does not come from the ingress proxy, forged Home Assistant user headers included', async () => {
    const forged = { 'x-remote-user-id': USER.id, 'x-remote-user-name': USER.name, 'x-ingress-path': ingress.ingressPath };
    for (const path of ['/', '/api/states', '/api/backup/download/x?agent_id=backup.local']) {
      const res = await httpRequest(`http://127.0.0.1:${server.port}${path}`, { headers: forged });
      expect(res.status, path).toBe(403);
      expect(res.json()).toMatchObject({ code: 'not_from_ingress' });
    }
    const upgrade = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/websocket`, { headers: forged });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => reject(new Error('the WebSocket was accepted')));
      ws.on('error', () => undefined);
    });
    expect(upgrade).toBe(403);
    // Through the proxy the same API answers.
    const viaProxy = await httpRequest(`${ingress.appUrl}api/states`);
    expect(viaProxy.status).toBe(200);
  });
});
