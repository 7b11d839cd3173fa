// What the browser tests share: the web UI built once (if missing or older than its sources), a
// real `lifeboat serve` in a child process on a free port, demo installations and tokens made with
// the CLI, Debian's Chromium driven by playwright-core, screenshots at desktop and phone width,
// a small WebSocket client for setting things up, and a digest of a folder tree.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { vi } from 'vitest';
import WebSocket from 'ws';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { startCli, type RunningCli } from '../helpers/spawn-cli.js';

export const SCREENSHOTS = join(PROJECT_ROOT, '.test-output', 'screenshots');

// A busy CI machine runs several servers and browsers at once: wait generously for the page.
vi.setConfig({ expect: { poll: { timeout: 30_000, interval: 100 } } });
const WEB_OUT = join(PROJECT_ROOT, 'dist', 'web');
const LOCK = join(PROJECT_ROOT, 'dist', '.web-build.lock');

async function newestMtime(path: string): Promise<number> {
  const st = await stat(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of await readdir(path)) newest = Math.max(newest, await newestMtime(join(path, name)));
  return newest;
}

async function webIsCurrent(): Promise<boolean> {
  const index = join(WEB_OUT, 'index.html');
  if (!existsSync(index)) return false;
  const built = (await stat(index)).mtimeMs;
  const sources = Math.max(await newestMtime(join(PROJECT_ROOT, 'web')), await newestMtime(join(PROJECT_ROOT, 'src', 'manager', 'events.ts')));
  return built >= sources;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} failed (${code}):\n${out}`))));
  });
}

/** Builds dist/web unless it is there and newer than its sources; one test file at a time. */
export async function ensureWebBuilt(): Promise<void> {
  if (await webIsCurrent()) return;
  await mkdir(join(PROJECT_ROOT, 'dist'), { recursive: true });
  for (;;) {
    try {
      await mkdir(LOCK);
      break;
    } catch {
      const age = Date.now() - (await stat(LOCK).catch(() => ({ mtimeMs: Date.now() }))).mtimeMs;
      if (age > 180_000) await rm(LOCK, { recursive: true, force: true });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!(await webIsCurrent())) await run(process.execPath, [join(PROJECT_ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts']);
  } finally {
    await rm(LOCK, { recursive: true, force: true });
  }
}

export async function demoInstallation(dir: string): Promise<string> {
  const r = await runCli(['demo', 'init', dir, '--db-mib', '4']);
  if (r.code !== 0) throw new Error(`demo init failed: ${r.stderr}`);
  return dir;
}

export async function createToken(installation: string): Promise<string> {
  const r = await runCli(['-c', installation, 'token', 'create', 'web-test']);
  if (r.code !== 0) throw new Error(`token create failed: ${r.stderr}`);
  return r.stdout.trim();
}

export interface Served {
  url: string;
  installation: string;
  stop(): Promise<void>;
}

/** `lifeboat serve` for the installation on the port (a free one by default), until stop(). */
export async function serve(installation: string, port = 0): Promise<Served> {
  const cli: RunningCli = startCli(['-c', installation, 'serve', '--port', String(port)], { env: { LOG_LEVEL: 'warn' } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`lifeboat serve did not start:\n${out}`)), 60_000);
    cli.child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = / on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] as string);
      }
    });
    void cli.done.then((o) => {
      clearTimeout(timer);
      reject(new Error(`lifeboat serve exited (${o.code}):\n${o.stderr}`));
    });
  });
  return {
    url,
    installation,
    stop: async () => {
      cli.child.kill('SIGTERM');
      await cli.done;
    },
  };
}

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };

/** A page at desktop size, English, downloads allowed, with generous timeouts. */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US', acceptDownloads: true, ...options });
  context.setDefaultTimeout(60_000);
  return { context, page: await context.newPage() };
}

/**
 * Checks what a screen reader and a keyboard user need on the page as shown (through every shadow
 * root): each visible form control has a label, each button and link a name, every
 * aria-describedby target exists, and there is exactly one visible h1.
 */
const AUDIT = `(() => {
  const problems = [];
  const roots = [document];
  const walk = (root) => { for (const el of root.querySelectorAll('*')) if (el.shadowRoot) { roots.push(el.shadowRoot); walk(el.shadowRoot); } };
  walk(document);
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  let h1 = 0;
  for (const root of roots) {
    for (const el of root.querySelectorAll('input, select, textarea')) {
      if (el.type === 'hidden' || !visible(el)) continue;
      if (!(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')) problems.push('unlabelled ' + el.tagName.toLowerCase() + '#' + el.id);
    }
    for (const el of root.querySelectorAll('button, a[href]')) {
      if (visible(el) && !(el.getAttribute('aria-label') || el.textContent || '').trim()) problems.push('nameless ' + el.tagName.toLowerCase());
    }
    for (const el of root.querySelectorAll('[aria-describedby], [aria-labelledby]')) {
      const ids = ((el.getAttribute('aria-describedby') || '') + ' ' + (el.getAttribute('aria-labelledby') || '')).split(/\\s+/).filter(Boolean);
      for (const id of ids) if (!root.querySelector('#' + CSS.escape(id))) problems.push('missing #' + id);
    }
    for (const el of root.querySelectorAll('h1')) if (visible(el)) h1++;
  }
  if (h1 !== 1) problems.push(h1 + ' visible h1');
  return problems;
})()`;

/**
 * Saves the page at desktop and phone width (<name>-desktop.png, <name>-phone.png), and fails
 * when the page has accessibility problems or scrolls sideways at phone width.
 */
export async function snap(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  // Passing notices float over the page; close them so that the page itself is seen.
  await page.evaluate("document.querySelector('lb-app')?.shadowRoot?.querySelectorAll('.notices button').forEach((b) => b.click())");
  const before = page.viewportSize() ?? DESKTOP;
  for (const [size, tag] of [
    [DESKTOP, 'desktop'],
    [PHONE, 'phone'],
  ] as const) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(SCREENSHOTS, `${name}-${tag}.png`), fullPage: true, animations: 'disabled' });
    const problems = (await page.evaluate(AUDIT)) as string[];
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    if (overflow > 0) problems.push(`scrolls sideways by ${overflow}px`);
    if (problems.length) throw new Error(`${name} at ${tag} width: ${problems.join('; ')}`);
  }
  await page.setViewportSize(before);
}

/** Opens the UI and signs in with the token. */
export async function signIn(page: Page, url: string, token: string, remember = false): Promise<void> {
  await page.goto(url);
  await page.locator('#token').fill(token);
  if (remember) await page.getByLabel('Remember me on this device').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Either the overview appears or the sign-in page says why not; a failure names the reason.
  const outcome = page.locator('lb-overview h1').or(page.locator('lb-sign-in #error'));
  await outcome.first().waitFor();
  const refusal = page.locator('lb-sign-in #error');
  if (await refusal.isVisible()) throw new Error(`sign-in refused by the UI: ${await refusal.textContent()}`);
}

export interface Session {
  server: Served;
  token: string;
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** Page errors and requests outside the server, for a test to assert there were none. */
  errors: string[];
  stop(): Promise<void>;
}

/**
 * A token, `lifeboat serve` on the installation and a browser page on it, signed in unless told
 * not to; `timezone: 'server'` shows times in the server's time zone, as its users would see them.
 */
export async function startSession(installation: string, opts: { signIn?: boolean; remember?: boolean; timezone?: 'server' } = {}): Promise<Session> {
  await ensureWebBuilt();
  const token = await createToken(installation);
  const server = await serve(installation);
  const browser = await launchBrowser();
  const timezoneId =
    opts.timezone === 'server' ? (await wsCall<{ config: { lifeboat: { time_zone: string } } }>(server.url, token, 'backup/config/info')).config.lifeboat.time_zone : undefined;
  const { context, page } = await openPage(browser, timezoneId ? { timezoneId } : {});
  const errors = watchErrors(page, server.url);
  if (opts.signIn !== false) {
    try {
      await signIn(page, server.url, token, opts.remember);
    } catch (err) {
      await browser.close();
      await server.stop();
      const seen = errors.length ? `; the page reported: ${errors.join(' | ')}` : '';
      throw new Error(`${(err as Error).message}${seen}`, { cause: err });
    }
  }
  return {
    server,
    token,
    browser,
    context,
    page,
    errors,
    stop: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/** The element that has the keyboard focus, through shadow roots: "tag#id: text". */
export async function focused(page: Page): Promise<string> {
  return (await page.evaluate(`(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el ? el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ': ' + (el.textContent || '').trim() : '';
  })()`)) as string;
}

/** One WebSocket command, for setting up a situation the way another client would. */
export function wsCall<T = unknown>(url: string, token: string, type: string, params: Record<string, unknown> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/api/websocket`);
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as { type: string; success?: boolean; result?: T; error?: { code: string; message: string } };
      if (msg.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: token }));
      else if (msg.type === 'auth_ok') ws.send(JSON.stringify({ id: 1, type, ...params }));
      else if (msg.type === 'result') {
        ws.close();
        if (msg.success) resolve(msg.result as T);
        else reject(Object.assign(new Error(msg.error?.message ?? 'failed'), { code: msg.error?.code }));
      }
    });
  });
}

/** path → sha256 of every file under dir (skipping the names given at the top level). */
export async function treeDigest(dir: string, skipTop: string[] = ['backups']): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const full = join(d, entry.name);
      const rel = relative(dir, full);
      if (d === dir && skipTop.includes(entry.name)) continue;
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out[rel] = createHash('sha256').update(await readFile(full)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

export async function sha256File(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}

/**
 * Collects page errors, anything the page's Content-Security-Policy blocked, and requests that leave
 * the server's origin (fonts, CDNs), to assert there were none.
 */
export function watchErrors(page: Page, origin: string): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(`blocked by the Content-Security-Policy: ${m.text()}`);
  });
  page.on('request', (r) => {
    const url = r.url();
    if (!url.startsWith(origin) && !url.startsWith('blob:') && !url.startsWith('data:')) errors.push(`request outside the server: ${url}`);
  });
  return errors;
}
