// Benchmark for memory: Lifeboat's peak resident memory must not grow with the size of a backup.
// Each scenario runs once with a small backup (64 MiB) and once with a large one (default 1 GiB),
// each in a fresh process whose peak RSS (VmHWM) bench/rss-probe.mjs records on exit:
//
// - archive: write an encrypted backup of a synthetic installation, then verify it (in-process API);
// - server:  `lifeboat serve` (the built command) receives the backup over HTTP, sends it back as
//            stored and sends it back decrypted.
//
// The figure that matters is the growth from small to large; the targets are in bench/README.md.
// (Per-location uploads report their memory in bench/locations-bench.ts.)
//
//   npm run build && node --import tsx bench/memory-bench.ts [--size-mib 1024] [--json]

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { downloadHashed, multipartUpload, openRequest } from '../test/helpers/http-client.js';
import { KiB, LAUNCHER, log, PROBE, REPO, round, runTimed, table, UsageError, positiveInt, CLI } from './bench-lib.js';

const SMALL_MIB = 64;
const PASSWORD = 'BENC-HKEY-0000-1111';

const USAGE = `Usage: node --import tsx bench/memory-bench.ts [options]

Peak RSS of writing + verifying a backup, and of lifeboat serve receiving and sending one, for a
${SMALL_MIB} MiB backup and a large one; reports the growth. Build first: npm run build.

Options:
  --size-mib N   size of the large backup in MiB (default 1024)
  --only NAME    run one scenario: archive or server
  --work DIR     work folder (default bench/.work/memory)
  --json         print the results as JSON on stdout (the table goes to stderr)
  -h, --help     show this help
`;

interface Options {
  sizeMib: number;
  only: 'archive' | 'server' | null;
  work: string;
  json: boolean;
}

interface Row {
  scenario: string;
  smallMiB: number;
  largeMiB: number;
  growthMiB: number;
  targets: { growthMiB: number; peakMiB: number };
  pass: boolean;
}

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'size-mib': { type: 'string' },
      only: { type: 'string' },
      work: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  if (values.only !== undefined && values.only !== 'archive' && values.only !== 'server') throw new UsageError('--only must be archive or server');
  return {
    sizeMib: positiveInt('--size-mib', values['size-mib'], 1024, SMALL_MIB * 2),
    only: (values.only as Options['only']) ?? null,
    work: values.work ? resolve(values.work) : join(REPO, 'bench', '.work', 'memory'),
    json: values.json ?? false,
  };
}

function probeEnv(rssFile: string): NodeJS.ProcessEnv {
  rmSync(rssFile, { force: true });
  const nodeOptions = [process.env.NODE_OPTIONS, `--import ${PROBE}`].filter(Boolean).join(' ');
  return { ...process.env, LIFEBOAT_RSS_FILE: rssFile, LIFEBOAT_LOG_LEVEL: 'warn', NODE_OPTIONS: nodeOptions };
}

function peakMiB(rssFile: string): number {
  if (!existsSync(rssFile)) throw new Error(`the measured process wrote no peak RSS to ${rssFile}`);
  return Number(readFileSync(rssFile, 'utf8').trim()) / KiB;
}

// ---------------------------------------------------------------------------------------------
// archive: write + verify in one process

async function archivePeak(mib: number, work: string): Promise<number> {
  const rssFile = join(work, `archive-${mib}.rss`);
  const child = join(REPO, 'bench', 'memory', 'archive-child.ts');
  const run = await runTimed(process.execPath, ['--import', 'tsx', child, String(mib), work], probeEnv(rssFile));
  const result = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { problems: unknown[]; bytes: number };
  if (result.problems.length > 0) throw new Error(`verification of the ${mib} MiB backup found problems: ${JSON.stringify(result.problems)}`);
  if (result.bytes !== mib * 1024 * KiB) throw new Error(`verification read ${result.bytes} bytes of the ${mib} MiB backup`);
  return peakMiB(rssFile);
}

// ---------------------------------------------------------------------------------------------
// server: upload, download as stored, download decrypted through `lifeboat serve`

async function lifeboat(args: string[]): Promise<string> {
  return (await runTimed(LAUNCHER, args, { ...process.env, LIFEBOAT_LOG_LEVEL: 'warn' })).stdout;
}

async function makeBackup(file: string, mib: number): Promise<{ backupId: string; size: number }> {
  const child = join(REPO, 'test', 'helpers', 'big-backup-child.ts');
  const run = await runTimed(process.execPath, ['--import', 'tsx', child, file, String(mib), PASSWORD]);
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as { backupId: string; size: number };
}

interface Serving {
  url: string;
  stop(): Promise<void>;
}

function startServe(inst: string, env: NodeJS.ProcessEnv): Promise<Serving> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(LAUNCHER, ['-c', inst, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => reject(new Error(`lifeboat serve exited (${code}) before listening:\n${err}`)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^Lifeboat is serving .+ on (http:\/\/\S+)$/m.exec(out);
      if (m)
        resolvePromise({
          url: m[1] as string,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
    });
  });
}

async function serverPeak(mib: number, work: string): Promise<number> {
  const dir = join(work, `server-${mib}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const inst = join(dir, 'config');
  process.env.LIFEBOAT_DATA = join(dir, 'data'); // Lifeboat's state stays in the work folder
  try {
    await lifeboat(['demo', 'init', inst, '--db-mib', '1']);
    const token = (await lifeboat(['-c', inst, 'token', 'create', 'bench'])).trim();
    const file = join(dir, 'big.tar');
    const made = await makeBackup(file, mib);
    rmSync(join(dir, 'rss'), { force: true });
    const rssFile = join(dir, 'rss');
    const server = await startServe(inst, probeEnv(rssFile));
    try {
      const up = await multipartUpload(`${server.url}/api/backup/upload?agent_id=backup.local`, file, { token, fileName: 'big.tar' });
      if (up.status !== 201) throw new Error(`upload: HTTP ${up.status} ${up.text()}`);
      const download = `${server.url}/api/backup/download/${made.backupId}?agent_id=backup.local`;
      const stored = await downloadHashed(download, { token });
      if (stored.status !== 200 || stored.bytes !== made.size) throw new Error(`download as stored: HTTP ${stored.status}, ${stored.bytes} of ${made.size} bytes`);
      const decrypted = await openRequest(`${download}&password=${encodeURIComponent(PASSWORD)}`, { token });
      if (decrypted.statusCode !== 200) throw new Error(`decrypted download: HTTP ${decrypted.statusCode}`);
      let bytes = 0;
      await pipeline(
        decrypted,
        new Writable({
          write(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            done();
          },
        }),
      );
      if (bytes < mib * 1024 * KiB) throw new Error(`the decrypted download was only ${bytes} bytes`);
    } finally {
      await server.stop();
    }
    return peakMiB(rssFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

const SCENARIOS = {
  archive: { label: 'write + verify a backup (in-process API)', run: archivePeak, targets: { growthMiB: 48, peakMiB: 200 } },
  server: { label: 'lifeboat serve: upload, download, decrypted download', run: serverPeak, targets: { growthMiB: 48, peakMiB: 250 } },
} as const;

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(CLI)) {
    process.stderr.write('dist/ is missing: run npm run build first\n');
    return 2;
  }
  mkdirSync(options.work, { recursive: true });
  const rows: Row[] = [];
  for (const [name, scenario] of Object.entries(SCENARIOS)) {
    if (options.only && options.only !== name) continue;
    log(`${name}: ${SMALL_MIB} MiB …`);
    const small = await scenario.run(SMALL_MIB, options.work);
    log(`${name}: ${options.sizeMib} MiB …`);
    const large = await scenario.run(options.sizeMib, options.work);
    const growth = large - small;
    rows.push({
      scenario: scenario.label,
      smallMiB: round(small, 1),
      largeMiB: round(large, 1),
      growthMiB: round(growth, 1),
      targets: scenario.targets,
      pass: growth < scenario.targets.growthMiB && large < scenario.targets.peakMiB,
    });
  }
  const lines = table([
    ['scenario', `peak, ${SMALL_MIB} MiB`, `peak, ${options.sizeMib} MiB`, 'growth', 'target', ''],
    ...rows.map((r) => [
      r.scenario,
      `${r.smallMiB.toFixed(1)} MiB`,
      `${r.largeMiB.toFixed(1)} MiB`,
      `${r.growthMiB >= 0 ? '+' : ''}${r.growthMiB.toFixed(1)} MiB`,
      `growth < ${r.targets.growthMiB}, peak < ${r.targets.peakMiB} MiB`,
      r.pass ? 'ok' : 'MISSED',
    ]),
  ]);
  const report = `Peak RSS (VmHWM, whole process) of a ${SMALL_MIB} MiB and a ${options.sizeMib} MiB backup\n\n${lines}\n`;
  if (options.json) {
    process.stderr.write(report);
    process.stdout.write(`${JSON.stringify({ sizeMib: options.sizeMib, smallMib: SMALL_MIB, rows }, null, 2)}\n`);
  } else process.stdout.write(report);
  return rows.every((r) => r.pass) ? 0 : 1;
}

process.exitCode = await main();
