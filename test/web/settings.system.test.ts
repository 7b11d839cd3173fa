// The settings page in Chromium against a real `lifeboat serve`: changing the schedule shows the
// new next run at once (and the overview agrees), retention and per-location settings are saved,
// the encryption key is created, shown, put in an emergency kit and changed, notifications reach a
// local webhook with "Send a test", the advanced settings (time zone, cron, extra excludes) are
// saved or refused with the server's reason, and a failed automatic backup shows a banner with its
// reason.

import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tmpDir } from '../helpers/tmp.js';
import { demoInstallation, focused, snap, startSession, wsCall, type Served, type Session } from './web-harness.js';

interface Config {
  schedule: { recurrence: string; days: string[]; time: string | null; cron: string | null };
  time_zone: string | null;
  excludes: string[];
  retention: { copies: number | null; days: number | null };
  generational: Record<string, number> | null;
  agents: Record<string, { protected: boolean; retention: unknown }>;
  create_backup: { agent_ids: string[] };
  next_automatic_backup: string | null;
  lifeboat: { time_zone: string; key_fingerprint: string | null };
}

let session: Session;
let page: Page;
let server: Served;
let token: string;
let errors: string[];
let hook: Server;
let hookUrl: string;
const received: string[] = [];

const config = async () => (await wsCall<{ config: Config }>(server.url, token, 'backup/config/info')).config;
const nextRunText = () => page.locator('[data-testid=settings-next-run]').textContent();

beforeAll(async () => {
  const installation = await demoInstallation(join(await tmpDir('lifeboat-web-'), 'home'));
  session = await startSession(installation, { remember: true, timezone: 'server' });
  ({ server, token, page, errors } = session);
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push(body);
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
});

afterAll(async () => {
  await session?.stop();
  if (hook) await new Promise((r) => hook.close(r));
});

describe('web UI: settings', () => {
  it('remembers the sign-in on this device when asked', async () => {
    expect(await page.evaluate("[sessionStorage.getItem('lifeboat.token'), localStorage.getItem('lifeboat.token') !== null]")).toEqual([null, true]);
    await page.goto(`${server.url}/#/settings`);
    await page.locator('lb-settings-page h1').waitFor();
    await expect.poll(() => focused(page)).toBe('h1: Settings');
  });

  it('shows the new next run as soon as the schedule changes', async () => {
    expect(await nextRunText()).toContain('automatic backups are off');
    await page.getByLabel('Every day').check();
    await expect.poll(async () => (await config()).schedule.recurrence).toBe('daily');
    await page.getByLabel('Time', { exact: true }).fill('03:30');
    await page.getByLabel('Time', { exact: true }).dispatchEvent('change');
    await expect.poll(nextRunText).toContain('3:30 AM');
    let saved = await config();
    expect(saved.schedule.time).toMatch(/^03:30(:00)?$/);
    expect(new Date(saved.next_automatic_backup as string).getTime()).toBeGreaterThan(Date.now());
    expect(saved.create_backup.agent_ids).toEqual(['backup.local']);

    await page.getByLabel('Time', { exact: true }).fill('22:15');
    await page.getByLabel('Time', { exact: true }).dispatchEvent('change');
    await expect.poll(nextRunText).toContain('10:15 PM');
    await snap(page, 'settings');

    await page.getByLabel('On certain days').check();
    await page.getByLabel('Wednesday').check();
    await expect.poll(async () => (await config()).schedule.days).toEqual(['wed']);
    saved = await config();
    const weekday = new Date(saved.next_automatic_backup as string).toLocaleDateString('en-US', { weekday: 'long', timeZone: saved.lifeboat.time_zone });
    expect(weekday).toBe('Wednesday');
    await expect.poll(nextRunText).toContain(new Date(saved.next_automatic_backup as string).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short', timeZone: saved.lifeboat.time_zone }));

    await page.getByRole('link', { name: 'Overview' }).click();
    await expect.poll(() => page.locator('[data-testid=next-run]').textContent()).toContain('10:15 PM');
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Never').check();
    await expect.poll(nextRunText).toContain('automatic backups are off');
    await page.getByLabel('Every day').check();
    await expect.poll(nextRunText).toContain('10:15 PM');
  });

  it('saves retention and per-location settings', async () => {
    await page.getByLabel('The newest backups').check();
    await expect.poll(async () => (await config()).retention).toEqual({ copies: 3, days: null });
    await page.getByLabel('Number of backups').fill('5');
    await page.getByLabel('Number of backups').dispatchEvent('change');
    await expect.poll(async () => (await config()).retention).toEqual({ copies: 5, days: null });
    await page.getByLabel('Generations (daily, weekly, monthly, yearly)').check();
    await expect.poll(async () => (await config()).generational).toEqual({ daily: 7, weekly: 4, monthly: 12, yearly: 2 });
    expect((await config()).retention).toEqual({ copies: null, days: null });

    const local = page.locator('[data-agent="backup.local"]');
    await local.getByLabel('Encrypted').uncheck();
    await expect.poll(async () => (await config()).agents['backup.local']?.protected).toBe(false);
    await local.getByLabel('Own retention').selectOption('copies');
    await expect.poll(async () => (await config()).agents['backup.local']?.retention).toEqual({ copies: 3, days: null });
  });

  it('shows the key, downloads the emergency kit and changes the key', async () => {
    const fingerprint = (await config()).lifeboat.key_fingerprint as string;
    expect(fingerprint).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}$/); // made when automatic backups were first set up
    expect(await page.locator('[data-testid=key-fingerprint]').textContent()).toContain(fingerprint);
    await page.getByRole('button', { name: 'Show key' }).click();
    const key = (await wsCall<{ key: string }>(server.url, token, 'lifeboat/key/show')).key;
    await expect.poll(() => page.locator('lb-settings-key #key').inputValue()).toBe(key);
    await snap(page, 'settings-key-shown');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download emergency kit' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^home_assistant_backup_emergency_kit_.*\.txt$/);
    const kitPath = join(await tmpDir('lifeboat-kit-'), 'kit.txt');
    await download.saveAs(kitPath);
    expect(await readFile(kitPath, 'utf8')).toContain(key);

    await page.getByRole('button', { name: 'Change key…' }).click();
    await page.locator('#confirm-rotate').waitFor();
    await snap(page, 'settings-key-rotate');
    await page.locator('#confirm-rotate').getByRole('button', { name: 'Change key' }).click();
    await expect.poll(async () => (await config()).lifeboat.key_fingerprint).not.toBe(fingerprint);
    const next = (await config()).lifeboat.key_fingerprint as string;
    await expect.poll(() => page.locator('[data-testid=key-fingerprint]').textContent()).toContain(next);
    expect(await page.locator('lb-settings-key #key').count()).toBe(0);
  });

  it('saves a webhook and sends a test notification to it', async () => {
    await page.getByLabel('Webhook URL').fill('not a url');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.locator('#webhook-hint').textContent()).toContain('full URL');
    await page.getByLabel('Webhook URL').fill(hookUrl);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await wsCall<{ config: { notifications: { webhook_url: string } } }>(server.url, token, 'backup/config/info')).config.notifications.webhook_url).toBe(hookUrl);
    await page.getByRole('button', { name: 'Send a test' }).click();
    await expect.poll(() => page.locator('[data-testid=test-results]').textContent()).toContain('Webhook: delivered');
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0] as string)).toMatchObject({ source: 'lifeboat', kind: 'test' });
    await snap(page, 'settings-notifications');
  });

  it('saves a time zone, a cron schedule and extra excludes, and shows why a bad cron is refused', async () => {
    const before = await config();
    await page.getByLabel('Time zone').fill('Asia/Tokyo');
    await page.getByLabel('Custom schedule (cron)').fill('30 3 * * 1-5');
    await page.getByLabel('Also leave out').fill('www/cameras/**\n\n  *.mp4  ');
    await page.getByRole('button', { name: 'Save advanced settings' }).click();
    await expect.poll(async () => (await config()).schedule.cron).toBe('30 3 * * 1-5');
    const saved = await config();
    expect(saved.time_zone).toBe('Asia/Tokyo');
    expect(saved.lifeboat.time_zone).toBe('Asia/Tokyo');
    expect(saved.excludes).toEqual(['www/cameras/**', '*.mp4']);
    expect({ ...saved.schedule, cron: null }).toEqual({ ...before.schedule, cron: null });
    // The next run: a weekday at 03:30 in Tokyo, shown at once on the page.
    const next = new Date(saved.next_automatic_backup as string);
    const tokyo = new Intl.DateTimeFormat('en-US', { timeZone: 'Asia/Tokyo', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(next);
    expect(tokyo).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 03:30$/);
    await expect.poll(nextRunText).toContain('3:30 AM');
    await snap(page, 'settings-advanced');

    await page.getByLabel('Custom schedule (cron)').fill('30 3 * *');
    await page.getByRole('button', { name: 'Save advanced settings' }).click();
    await expect.poll(() => page.locator('lb-settings-advanced .save-status').textContent()).toContain('a cron expression has 5 fields');
    expect((await config()).schedule.cron).toBe('30 3 * * 1-5');

    await page.getByLabel('Time zone').fill('');
    await page.getByLabel('Custom schedule (cron)').fill('');
    await page.getByLabel('Also leave out').fill('');
    await page.getByRole('button', { name: 'Save advanced settings' }).click();
    await expect.poll(async () => (await config()).schedule.cron).toBe(null);
    const cleared = await config();
    expect([cleared.time_zone, cleared.excludes]).toEqual([null, []]);
  });

  it('shows a banner with the reason when the last automatic backup failed', async () => {
    await wsCall(server.url, token, 'backup/config/update', { create_backup: { agent_ids: ['backup.nowhere'] } });
    await expect(wsCall(server.url, token, 'backup/generate_with_automatic_settings')).rejects.toThrow(/At least one available backup agent/);
    await page.getByRole('link', { name: 'Overview' }).click();
    const banner = page.locator('[data-testid=automatic-failed]');
    await expect.poll(() => banner.textContent()).toContain('The last automatic backup failed');
    expect(await banner.textContent()).toContain('Reason: the backup could not be started');
    expect(await page.locator('[data-agent="backup.nowhere"]').textContent()).toContain('Not available');
    await snap(page, 'overview-automatic-failed');
    await page.emulateMedia({ colorScheme: 'dark' });
    await snap(page, 'overview-dark');
    await page.getByRole('link', { name: 'Settings' }).click();
    await snap(page, 'settings-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(errors).toEqual([]);
  });
});
