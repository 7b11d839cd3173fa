// `npm start` as a newcomer runs it: on a machine without a demo installation it creates one,
// serves it and prints the address with a one-time sign-in link; Chromium opened on that link is
// signed in (the code is gone from the address), and the same link a second time is refused with
// a clear message.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { ensureWebBuilt, launchBrowser, openPage, snap, watchErrors } from './web-harness.js';

let start: ChildProcess;
let output = '';
let link: string;
let demo: string;
let browser: Browser;

beforeAll(async () => {
  await ensureWebBuilt();
  demo = join(await tmpDir('lifeboat-npm-start-'), 'demo');
  start = spawn('npm', ['start', '--silent', '--', '--port', '0'], { cwd: PROJECT_ROOT, env: { ...process.env, LIFEBOAT_DEMO_DIR: demo, LOG_LEVEL: 'warn' }, detached: true });
  start.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  start.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no sign-in link:\n${output}`)), 120_000);
    const look = () => {
      const m = /^\s+(http:\/\/127\.0\.0\.1:\d+\/#\/sign-in\/\S+)$/m.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    };
    start.stdout?.on('data', look);
    start.on('exit', () => reject(new Error(`npm start ended:\n${output}`)));
  });
  browser = await launchBrowser();
}, 180_000);

afterAll(async () => {
  await browser?.close();
  // npm runs the start script, which runs `lifeboat serve`: stop the whole group.
  if (start?.pid && start.exitCode === null) {
    const ended = new Promise((r) => start.once('exit', r));
    process.kill(-start.pid, 'SIGTERM');
    await ended;
  }
});

describe('npm start', () => {
  it('creates the demo installation and prints where Lifeboat serves it', () => {
    expect(existsSync(join(demo, 'config', 'configuration.yaml'))).toBe(true);
    expect(output).toMatch(/Lifeboat is serving .*demo\/config on http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/Open this link to sign in \(it works once, until \d\d:\d\d UTC\)/);
  });

  it('signs the browser in with the printed link, once', async () => {
    const { context, page } = await openPage(browser);
    const errors = watchErrors(page, new URL(link).origin);
    await page.goto(link);
    await page.locator('lb-overview h1').waitFor();
    expect(new URL(page.url()).hash).toBe('#/');
    expect(await page.evaluate("sessionStorage.getItem('lifeboat.token') !== null")).toBe(true);
    await snap(page, 'npm-start-signed-in');
    expect(errors).toEqual([]);
    await context.close();

    const again = await openPage(browser);
    await again.page.goto(link);
    await expect.poll(() => again.page.locator('lb-sign-in #error').textContent()).toContain('This sign-in link has expired or was already used');
    await again.context.close();
  });
});
