// The installed `lifeboat` command (bin/lifeboat, linked into a bin folder as npm does) runs the
// built CLI with its memory settings (for `restore` and `backup`, glibc tuned to reuse freed memory), lets them
// be replaced, and passes arguments on unchanged. The built CLI is a bundle (scripts/bundle.mjs):
// its worker threads must be found beside it, which only a real backup and restore show, and its
// code cache must be one V8 takes under the flags the launcher starts Node.js with.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { VERSION } from '../../src/version.js';
import { countRows, makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { describeTree } from '../helpers/tree.js';

let dir: string;
let command: string;
let probe: string;
let report: string;

beforeAll(() => {
  expect(existsSync(join(PROJECT_ROOT, 'dist/bundle/main.cjs')), 'run `npm run build` first').toBe(true);
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-launcher-'));
  command = join(dir, 'bin', 'lifeboat');
  mkdirSync(join(dir, 'bin'));
  symlinkSync(join(PROJECT_ROOT, 'bin', 'lifeboat'), command);
  report = join(dir, 'report.json');
  probe = join(dir, 'probe.mjs');
  // Preloaded into the launched process: records how Node.js was started.
  writeFileSync(
    probe,
    `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(report)}, JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(1), arenas: process.env.MALLOC_ARENA_MAX ?? null, tunables: process.env.GLIBC_TUNABLES ?? null, pool: process.env.UV_THREADPOOL_SIZE ?? null }));
`,
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function launch(args: string[], env: NodeJS.ProcessEnv = {}) {
  const base = { ...process.env };
  delete base.MALLOC_ARENA_MAX;
  delete base.LIFEBOAT_NODE_FLAGS;
  delete base.GLIBC_TUNABLES;
  delete base.UV_THREADPOOL_SIZE;
  const r = spawnSync(command, args, { cwd: dir, encoding: 'utf8', env: { ...base, NODE_OPTIONS: `--import ${probe}`, ...env } });
  const seen = JSON.parse(readFileSync(report, 'utf8')) as { execArgv: string[]; argv: string[]; arenas: string | null; tunables: string | null; pool: string | null };
  rmSync(report);
  return { ...r, seen };
}

describe('bin/lifeboat', () => {
  it('runs the built CLI through an npm-style link, with its memory and thread pool settings', () => {
    const r = launch(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
    expect(r.seen.execArgv).toEqual(['--max-semi-space-size=1', '--optimize-for-size']);
    expect(r.seen.arenas).toBe('1');
    expect(r.seen.tunables).toBeNull();
    // Set before Node.js starts: a preloaded ES module (as this probe is) has started the pool by then.
    expect(r.seen.pool).toBe('8');
    expect(r.seen.argv[0]).toBe(join(PROJECT_ROOT, 'dist/bundle/main.cjs'));
  });

  it('starts the built program from its code cache, made under the flags the launcher gives Node.js', () => {
    const { seen } = launch(['--version']);
    const loader = pathToFileURL(join(PROJECT_ROOT, 'dist/cli/cached-program.js')).href;
    const code = `const { loadProgram } = await import(${JSON.stringify(loader)});
process.stdout.write(loadProgram(${JSON.stringify(join(PROJECT_ROOT, 'dist/bundle'))}).cache);`;
    const r = spawnSync(process.execPath, [...seen.execArgv, '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('used');
  });

  it('tunes glibc to reuse freed memory for a restore and the backup commands, whatever global options come first', () => {
    const restore = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=67108864';
    const backup = 'glibc.malloc.mmap_threshold=8388608:glibc.malloc.trim_threshold=67108864';
    for (const [args, tunables] of [
      [['restore', '--help'], restore],
      [['-c', dir, '-v', 'restore', '--help'], restore],
      [['-vc', dir, 'restore', '--help'], restore],
      [['backup', 'create', '--help'], backup],
      [['-c', dir, 'backup', 'list', '--help'], backup],
    ] as const) {
      const r = launch([...args]);
      expect(r.status).toBe(0);
      expect(r.seen.tunables).toBe(tunables);
      expect(r.seen.argv.slice(1)).toEqual(args);
    }
    // `restore` as an option's value names no command; other commands keep glibc's defaults.
    expect(launch(['-c', 'restore', '--version']).seen.tunables).toBeNull();
    expect(launch(['settings', '--help']).seen.tunables).toBeNull();
    expect(launch(['restore', '--help'], { GLIBC_TUNABLES: 'glibc.malloc.check=0' }).seen.tunables).toBe('glibc.malloc.check=0');
  });

  it('passes arguments on unchanged, spaces and quotes included', () => {
    const args = ['archive', 'inspect', join(dir, "no such 'backup' file.tar"), '--json'];
    const r = launch(args);
    expect(r.seen.argv.slice(1)).toEqual(args);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("no such 'backup' file.tar");
  });

  it('lets LIFEBOAT_NODE_FLAGS replace the Node.js flags and keeps a MALLOC_ARENA_MAX and UV_THREADPOOL_SIZE already set', () => {
    const none = launch(['--version'], { LIFEBOAT_NODE_FLAGS: '', MALLOC_ARENA_MAX: '4', UV_THREADPOOL_SIZE: '12' });
    expect(none.status).toBe(0);
    expect(none.seen.execArgv).toEqual([]);
    expect(none.seen.arenas).toBe('4');
    expect(none.seen.pool).toBe('12');
    const other = launch(['--version'], { LIFEBOAT_NODE_FLAGS: '--max-semi-space-size=2 --stack-size=2000' });
    expect(other.seen.execArgv).toEqual(['--max-semi-space-size=2', '--stack-size=2000']);
  });

  it('backs up and restores with the worker threads of the built program (a database copied by its own, a tree extracted by its own), and without Intl\'s time-zone data', async () => {
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    // Not in WAL mode: copied with SQLite's online backup in the snapshot worker.
    const zigbee = new Database(join(inst, 'zigbee.db'));
    zigbee.exec("CREATE TABLE devices (ieee TEXT); INSERT INTO devices VALUES ('00:12:4b:00:1c:a1:b2:c3')");
    zigbee.close();
    // With no time zone configured, dates are computed in the machine's zone without Intl's
    // time-zone data (a few MiB): a preloaded module notes every Intl.DateTimeFormat made.
    const intlSeen = join(dir, 'intl-seen.txt');
    const intlProbe = join(dir, 'intl-probe.mjs');
    writeFileSync(
      intlProbe,
      `import { appendFileSync } from 'node:fs';
const Made = Intl.DateTimeFormat;
Intl.DateTimeFormat = function (...args) { appendFileSync(${JSON.stringify(intlSeen)}, new Error().stack + '\\n'); return new Made(...args); };
`,
    );
    const env = { ...process.env, LIFEBOAT_DATA: join(dir, 'data'), NODE_OPTIONS: `--import ${intlProbe}` };
    const run = (args: string[]) => spawnSync(command, args, { cwd: dir, encoding: 'utf8', env, timeout: 60_000 });

    const created = run(['-c', inst, 'backup', 'create', '--password', 'K7Q2-9XWD', '--json']);
    expect(created.status, created.stderr).toBe(0);
    const record = JSON.parse(created.stdout) as { path: string; databases: { path: string; ok: boolean }[] };
    expect(record.databases.map((d) => [d.path, d.ok]).sort()).toEqual([['home-assistant_v2.db', true], ['zigbee.db', true]]);

    const fresh = join(dir, 'fresh', 'config');
    const restored = run(['-c', fresh, 'restore', record.path, '--password', 'K7Q2-9XWD', '--yes']);
    expect(restored.status, restored.stderr).toBe(0);
    // The databases are compared by content: a snapshot is not the same file byte for byte.
    const ignore = [...NOT_COMPARED, 'zigbee.db', 'home-assistant.log', 'tts/x.mp3'];
    expect(await describeTree(fresh, { ignore })).toEqual(await describeTree(inst, { ignore }));
    expect(countRows(fresh)).toBe(500);
    const copy = new Database(join(fresh, 'zigbee.db'), { readonly: true });
    expect(copy.prepare('SELECT ieee FROM devices').pluck().all()).toEqual(['00:12:4b:00:1c:a1:b2:c3']);
    copy.close();
    expect(existsSync(intlSeen) ? readFileSync(intlSeen, 'utf8') : '').toBe('');
  });
});
