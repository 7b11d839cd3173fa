// Benchmark for looking inside a big backup: `lifeboat backup ls` and `lifeboat backup cat` of a
// small file near the end of the archive, with the archive index Lifeboat keeps in its data folder
// and without it (a scan through the archive), each as a ratio to a full `lifeboat backup verify`
// of the same backup, with the CLI's peak RSS. Checks that `cat` gives the file's bytes both ways
// and that both listings are equal.
//
//   npm run build && node --import tsx bench/files-bench.ts --size-mib 2048

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KiB, log, median, MiB, positiveInt, readMarker, REPO, round, runLifeboat, syncDisks, table, VerifyError, type LifeboatRun } from './bench-lib.js';

const GENERATOR_VERSION = 1;
const PASSWORD = 'bench-key';
const CHUNK = 2 * MiB;
/** The small file read by `cat`: its folder sorts after everything else, so it is near the archive's end. */
const LAST_FILE = 'zz_last/notes.yaml';
const TARGET_CAT_SECONDS = 1;

interface Options {
  sizeMib: number;
  runs: number;
  work: string;
  json: boolean;
}

const USAGE = `Usage: node --import tsx bench/files-bench.ts [options]

Times lifeboat backup ls / cat (a small file near the end) with and without the archive index,
against lifeboat backup verify of the same encrypted (SecureTar v3) backup. Build first: npm run build.

Options:
  --size-mib N   size of the generated installation in MiB (default 2048)
  --runs N       timed runs of the indexed ls and cat; the median is reported (default 3)
  --work DIR     work folder (default bench/.work-files)
  --json         print the results as JSON on stdout (the table goes to stderr)
  -h, --help     show this help
`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      'size-mib': { type: 'string' },
      runs: { type: 'string' },
      work: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  return {
    sizeMib: positiveInt('--size-mib', values['size-mib'], 2048, 64),
    runs: positiveInt('--runs', values.runs, 3, 1),
    work: values.work ? resolve(values.work) : join(REPO, 'bench', '.work-files'),
    json: values.json ?? false,
  };
}

// ---------------------------------------------------------------------------------------------
// The installation: ~45 % incompressible recordings, ~45 % compressible logs, the rest thousands
// of small files; the file `cat` reads sorts last.

function logText(bytes: number, seed: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2026-07-02 04:${String((i + seed) % 60).padStart(2, '0')}:13.${String(i % 1000).padStart(3, '0')} INFO (MainThread) [zigbee2mqtt] device 0x${((i * 2654435761 + seed) >>> 0).toString(16)} state=${i % 3 ? 'ON' : 'OFF'} linkquality=${(i * 7) % 255}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join(''), 'utf8').subarray(0, bytes);
}

function writeBig(path: string, bytes: number, make: (n: number, i: number) => Buffer): void {
  const fd = openSync(path, 'w');
  try {
    for (let at = 0, i = 0; at < bytes; at += CHUNK, i++) writeSync(fd, make(Math.min(CHUNK, bytes - at), i));
  } finally {
    closeSync(fd);
  }
}

function generate(tree: string, sizeMib: number): void {
  rmSync(tree, { recursive: true, force: true });
  const total = sizeMib * MiB;
  const bigFile = 64 * MiB;
  const smallBytes = Math.min(64 * MiB, Math.floor(total * 0.05));
  const bigCount = Math.max(2, Math.floor((total - smallBytes) / bigFile));
  for (const dir of ['media/recordings', 'zigbee2mqtt/log', 'custom_components', '.storage', 'zz_last']) mkdirSync(join(tree, dir), { recursive: true });
  writeFileSync(join(tree, '.HA_VERSION'), '2026.7.3\n');
  writeFileSync(join(tree, 'configuration.yaml'), 'homeassistant:\n  name: Bench\n');
  for (let i = 0; i < bigCount; i++) {
    if (i % 2 === 0) writeBig(join(tree, 'media/recordings', `cam-${String(i).padStart(3, '0')}.mp4`), bigFile, (n) => randomBytes(n));
    else writeBig(join(tree, 'zigbee2mqtt/log', `log-${String(i).padStart(3, '0')}.txt`), bigFile, (n, c) => logText(n, i * 1000 + c));
  }
  let small = 0;
  for (let i = 0; small < smallBytes; i++) {
    const dir = join(tree, 'custom_components', `integration_${String(i % 100).padStart(2, '0')}`);
    if (i < 100) mkdirSync(dir, { recursive: true });
    const size = 1 * KiB + ((i * 7919) % (19 * KiB));
    writeFileSync(join(dir, `module_${i}.py`), logText(size, i));
    small += size;
  }
  writeFileSync(join(tree, LAST_FILE), 'notes:\n  - the file the benchmark reads\n');
}

// ---------------------------------------------------------------------------------------------

interface Row {
  operation: string;
  seconds: number;
  vsVerify: number;
  rssMiB: number | null;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (!opts) {
    process.stdout.write(USAGE);
    return;
  }
  const tree = join(opts.work, 'config');
  const data = join(opts.work, 'data');
  const marker = join(opts.work, 'tree.json');
  const rss = join(opts.work, 'rss.txt');
  mkdirSync(opts.work, { recursive: true });
  const m = readMarker<{ version: number; sizeMib: number }>(marker);
  if (!m || m.version !== GENERATOR_VERSION || m.sizeMib !== opts.sizeMib || !existsSync(tree)) {
    log(`generating a ${opts.sizeMib} MiB installation in ${tree} …`);
    generate(tree, opts.sizeMib);
    writeFileSync(marker, JSON.stringify({ version: GENERATOR_VERSION, sizeMib: opts.sizeMib }));
  }
  rmSync(data, { recursive: true, force: true });
  rmSync(join(tree, 'backups'), { recursive: true, force: true });
  const base = ['-c', tree, '-d', data];
  const pw = ['--password', PASSWORD];

  log('creating the backup (SecureTar v3) …');
  syncDisks();
  const created = await runLifeboat([...base, 'backup', 'create', '--name', 'Files bench', ...pw, '--json'], rss);
  const backup = JSON.parse(created.stdout) as { backup_id: string; size: number };
  const id = backup.backup_id;
  log(`backup ${id}: ${(backup.size / MiB).toFixed(0)} MiB in ${created.seconds.toFixed(1)} s`);
  const indexDir = join(data, 'index');
  const dropIndex = () => rmSync(indexDir, { recursive: true, force: true });
  if (!existsSync(indexDir)) throw new VerifyError('the backup was written without an index');

  syncDisks();
  const verify = await runLifeboat([...base, 'backup', 'verify', id, ...pw], rss);
  const expected = readFileSync(join(tree, LAST_FILE));
  const run = async (args: string[], runs: number): Promise<LifeboatRun & { all: number[] }> => {
    const all: number[] = [];
    let last: LifeboatRun | null = null;
    let peak = 0;
    for (let i = 0; i < runs; i++) {
      last = await runLifeboat([...base, 'backup', ...args, ...pw], rss);
      all.push(last.seconds);
      peak = Math.max(peak, last.rssKiB ?? 0);
    }
    return { ...(last as LifeboatRun), seconds: median(all) as number, rssKiB: peak || null, all };
  };
  const lsIndexed = await run(['ls', id, '--json'], opts.runs);
  const catIndexed = await run(['cat', id, LAST_FILE], opts.runs);
  dropIndex();
  const catScan = await run(['cat', id, LAST_FILE], 1);
  const lsScan = await run(['ls', id, '--json'], 1); // gathers an index again (entries only: no checkpoints)
  dropIndex();

  if (!Buffer.from(catIndexed.stdout).equals(expected)) throw new VerifyError('cat through the index did not give the file');
  if (!Buffer.from(catScan.stdout).equals(expected)) throw new VerifyError('cat by a scan did not give the file');
  if (lsIndexed.stdout !== lsScan.stdout) throw new VerifyError('the listing from the index differs from the scanned one');
  const files = (JSON.parse(lsIndexed.stdout) as { entries: unknown[] }).entries.length;

  const rows: Row[] = [
    ['backup verify (full decrypt + inflate)', verify],
    ['backup ls, with index', lsIndexed],
    ['backup ls, without index (scan)', lsScan],
    [`backup cat ${LAST_FILE}, with index`, catIndexed],
    [`backup cat ${LAST_FILE}, without index (scan)`, catScan],
  ].map(([operation, r]) => {
    const t = r as LifeboatRun;
    return { operation: operation as string, seconds: round(t.seconds, 3), vsVerify: round(t.seconds / verify.seconds, 3), rssMiB: t.rssKiB === null ? null : round(t.rssKiB / 1024, 1) };
  });
  const text = [
    `backup ${id}: ${(backup.size / MiB).toFixed(0)} MiB (SecureTar v3), ${files} entries; ${opts.runs} run(s) of the indexed commands (median), 1 of the others`,
    table([['operation', 'seconds', 'vs verify', 'peak RSS'], ...rows.map((r) => [r.operation, r.seconds.toFixed(3), r.vsVerify.toFixed(3), r.rssMiB === null ? '?' : `${r.rssMiB} MiB`])]),
    `target: cat with index under ${TARGET_CAT_SECONDS} s — ${catIndexed.seconds < TARGET_CAT_SECONDS ? 'met' : 'NOT met'}`,
  ].join('\n');
  if (opts.json) {
    log(text);
    process.stdout.write(`${JSON.stringify({ backupId: id, size: backup.size, entries: files, rows }, null, 2)}\n`);
  } else process.stdout.write(`${text}\n`);
}

main().catch((err: unknown) => {
  log(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof VerifyError ? 1 : 2);
});
