// Benchmark for `lifeboat backup create` / `lifeboat restore` on a demo installation (`lifeboat
// demo init`, a recorder database of --db-mib MiB) against `tar -czf` / `tar -xzf` of the same
// folder. Prints median wall times, throughput, speed and size ratios and the CLI's peak RSS (or
// the same as JSON), and checks once that a restore gives back every file (sha256) and a database
// that passes PRAGMA integrity_check.
//
//   npm run build && node --import tsx bench/backup-bench.ts --db-mib 256

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  benchMain,
  CLI,
  COMMON_OPTIONS,
  type CommonOptions,
  commonOptions,
  compareManifests,
  type CreateOutput,
  fresh,
  hasCommand,
  installationManifest,
  log,
  type Manifest,
  median,
  mib,
  parseCreateOutput,
  positiveInt,
  readMarker,
  restorable,
  round,
  runLifeboat,
  runTimed,
  sourceRevision,
  syncDisks,
  table,
  VerifyError,
} from './bench-lib.js';

const GENERATOR_VERSION = 1; // bump when the installation's recipe changes, so old ones are rebuilt
const PASSWORD = 'bench-key';
const LEVEL = 6; // `backup create`'s default gzip level, and gzip's (so tar -czf's) default
const DB = 'home-assistant_v2.db';

// ---------------------------------------------------------------------------------------------
// Options

interface Options extends CommonOptions {
  dbMib: number;
  runs: number;
}

const USAGE = `Usage: node --import tsx bench/backup-bench.ts [options]

Times lifeboat backup create (SecureTar v3, level ${LEVEL}) and lifeboat restore on a demo
installation against tar -czf and tar -xzf of the same folder, and checks once that a restore
gives back every file and an intact database. Build first: npm run build.

Options:
  --db-mib N     size of the demo installation's recorder database (demo init --db-mib; default 256)
  --runs N       timed runs per operation; the median is reported (default 3)
  --work DIR     work folder for the installation and outputs (default bench/.work/backup)
  --regen        recreate the demo installation even if a matching one exists
  --json         print the results as JSON on stdout (the table goes to stderr)
  --keep         keep the last outputs (backup in INSTALLATION/backups, .tgz, untarred folder)
  -h, --help     show this help
`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'db-mib': { type: 'string' },
      runs: { type: 'string' },
      ...COMMON_OPTIONS,
    },
  });
  if (values.help) return null;
  return {
    dbMib: positiveInt('--db-mib', values['db-mib'], 256, 1),
    runs: positiveInt('--runs', values.runs, 3, 1),
    ...commonOptions(values, join('.work', 'backup')),
  };
}

// ---------------------------------------------------------------------------------------------
// The demo installation

interface Marker {
  generator: number;
  dbMib: number;
  created: string;
}

/** Reuses WORK/inst when its marker matches, otherwise (or with --regen) runs `demo init` afresh. */
async function ensureInstallation(opts: Options): Promise<{ root: string; reused: boolean }> {
  const root = join(opts.work, 'inst');
  const markerPath = join(opts.work, 'inst.marker.json');
  const marker = readMarker<Marker>(markerPath);
  const interrupted = existsSync(root) && readdirSync(root).some((n) => n.startsWith('.lifeboat-restore'));
  if (interrupted) log(`NOTE: ${root} holds an interrupted restore (.lifeboat-restore-*); recreating it.`);
  if (!opts.regen && !interrupted && marker && marker.generator === GENERATOR_VERSION && marker.dbMib === opts.dbMib && existsSync(join(root, DB))) {
    // Leftovers of an earlier, interrupted benchmark: backups and Lifeboat's catalogue.
    rmSync(join(root, 'backups'), { recursive: true, force: true });
    mkdirSync(join(root, 'backups'));
    rmSync(join(opts.work, 'data'), { recursive: true, force: true });
    return { root, reused: true };
  }
  rmSync(markerPath, { force: true });
  rmSync(root, { recursive: true, force: true });
  log(`Creating a demo installation in ${root} (demo init --db-mib ${opts.dbMib}) …`);
  const started = performance.now();
  await runTimed(process.execPath, [CLI, 'demo', 'init', root, '--db-mib', String(opts.dbMib)]);
  const next: Marker = { generator: GENERATOR_VERSION, dbMib: opts.dbMib, created: new Date().toISOString() };
  writeFileSync(markerPath, `${JSON.stringify(next, null, 2)}\n`);
  log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { root, reused: false };
}

// ---------------------------------------------------------------------------------------------
// The database check

interface IntegrityResult {
  tool: string;
  result: string;
}

/** `sqlite3 <version>` when the sqlite3 CLI is installed, else better-sqlite3 (from node_modules). */
function integrityTool(): string {
  const version = hasCommand('sqlite3');
  return version ? `sqlite3 ${version.split(' ')[0] ?? ''}`.trim() : 'better-sqlite3';
}

async function integrityCheck(dbPath: string): Promise<IntegrityResult> {
  const tool = integrityTool();
  if (tool !== 'better-sqlite3') {
    // Not -readonly: a read-only connection to a WAL database leaves -wal and -shm files behind,
    // which the next run's tar would pick up; a read-write one removes them when it closes.
    const r = spawnSync('sqlite3', ['-bail', dbPath, 'PRAGMA integrity_check;'], { encoding: 'utf8' });
    if (r.error || r.status !== 0) return { tool, result: `sqlite3 failed: ${(r.stderr || r.error?.message || '').trim()}` };
    return { tool, result: r.stdout.trim() };
  }
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return { tool, result: rows.map((r) => r.integrity_check).join('\n') };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark

type OpKey = 'lifeboatCreate' | 'tarCzf' | 'lifeboatRestore' | 'tarXzf';

const OP_LABELS: Record<OpKey, string> = {
  lifeboatCreate: `lifeboat backup create (v3, level ${LEVEL})`,
  tarCzf: 'tar -czf',
  lifeboatRestore: 'lifeboat restore (full, in place)',
  tarXzf: 'tar -xzf (into a fresh folder)',
};

interface OpSamples {
  seconds: number[];
  rssKiB: number[];
  outputBytes: number | null;
}

interface Paths {
  inst: string;
  out: string;
  tgz: string;
  untar: string;
  rss: string;
}

interface Verification {
  files: number;
  bytes: number;
  /** Files present before the backup that Home Assistant's exclude rules leave out. */
  notRestored: string[];
  notes: string[];
  integrity: IntegrityResult;
  secureTar: string | null;
}

function record(samples: OpSamples, seconds: number, rssKiB: number | null = null): void {
  samples.seconds.push(seconds);
  if (rssKiB !== null) samples.rssKiB.push(rssKiB);
}

/** Checks right after the first restore: same files (sha256) as before the backup, database intact. */
async function verifyRestored(before: Manifest, backup: CreateOutput, inst: string): Promise<Verification> {
  const inspect = await runTimed(process.execPath, [CLI, 'archive', 'inspect', backup.path, '--json']);
  const inner = (JSON.parse(inspect.stdout) as { inner?: { name: string; encryption?: string }[] }).inner ?? [];
  const secureTar = inner.find((m) => m.name === 'homeassistant.tar.gz')?.encryption ?? null;
  const problems: string[] = [];
  if (!backup.protected) problems.push('the backup is not encrypted (protected: false)');
  if (secureTar !== 'v3') problems.push(`the backup's homeassistant.tar.gz is encrypted with ${secureTar ?? 'nothing'}, expected SecureTar v3`);
  for (const db of backup.databases.filter((d) => !d.ok)) problems.push(`backup create could not copy the database ${db.path}: ${db.error ?? '?'}`);

  const expected = restorable(before);
  const actual = restorable(installationManifest(inst, { sqliteDigest: true })).manifest;
  const notes: string[] = [];
  problems.push(...compareManifests(expected.manifest, actual, notes));
  if (readdirSync(inst).some((n) => n.startsWith('.lifeboat-restore'))) problems.push('a restore staging folder (.lifeboat-restore-*) is still there after the restore');
  const integrity = await integrityCheck(join(inst, DB));
  if (integrity.result !== 'ok') problems.push(`${DB}: PRAGMA integrity_check (${integrity.tool}) says: ${integrity.result.split('\n').slice(0, 5).join('; ')}`);
  if (problems.length) {
    const shown = problems.slice(0, 20).map((x) => `  - ${x}`);
    if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more`);
    throw new VerifyError(`the restored installation does not match the one backed up (${inst}):\n${shown.join('\n')}`);
  }
  log(`  verified: ${expected.manifest.files.size} files, ${expected.manifest.bytes} bytes match (sha256); ${DB} integrity_check ok`);
  for (const n of notes) log(`  note: ${n}`);
  return { files: expected.manifest.files.size, bytes: expected.manifest.bytes, notRestored: expected.dropped, notes, integrity, secureTar };
}

async function oneRun(p: Paths, s: Record<OpKey, OpSamples>, before: Manifest | null, last: boolean, keep: boolean): Promise<Verification | null> {
  syncDisks();
  const create = await runLifeboat(['-c', p.inst, 'backup', 'create', '--password', PASSWORD, '--json'], p.rss);
  record(s.lifeboatCreate, create.seconds, create.rssKiB);
  const backup = parseCreateOutput(create.stdout);
  if (!existsSync(backup.path)) throw new Error(`lifeboat backup create reported ${backup.path}, which does not exist`);
  s.lifeboatCreate.outputBytes = statSync(backup.path).size;

  fresh(p.tgz);
  record(s.tarCzf, (await runTimed('tar', ['-czf', p.tgz, '--exclude=./backups', '-C', p.inst, '.'])).seconds);
  s.tarCzf.outputBytes = statSync(p.tgz).size;

  syncDisks();
  const restore = await runLifeboat(['-c', p.inst, 'restore', backup.backup_id, '--password', PASSWORD, '--yes'], p.rss);
  record(s.lifeboatRestore, restore.seconds, restore.rssKiB);
  const verification = before ? await verifyRestored(before, backup, p.inst) : null;

  rmSync(p.untar, { recursive: true, force: true });
  mkdirSync(p.untar, { recursive: true });
  syncDisks();
  record(s.tarXzf, (await runTimed('tar', ['-xzf', p.tgz, '-C', p.untar])).seconds);

  if (!(last && keep)) {
    // Untimed: the backup goes through Lifeboat (file and catalogue entry), so backups/ stays empty.
    await runTimed(process.execPath, [CLI, '-c', p.inst, 'backup', 'delete', backup.backup_id]);
    if (existsSync(backup.path)) throw new Error(`lifeboat backup delete ${backup.backup_id} left ${backup.path} behind`);
    const left = readdirSync(join(p.inst, 'backups'));
    if (left.length) throw new Error(`backups/ is not empty after lifeboat backup delete: ${left.join(', ')}`);
    rmSync(p.untar, { recursive: true, force: true });
    rmSync(p.tgz, { force: true });
  }
  return verification;
}

// ---------------------------------------------------------------------------------------------
// Results

interface OpResult {
  label: string;
  runsSeconds: number[];
  medianSeconds: number | null;
  mbPerSecond: number | null;
  outputBytes: number | null;
  peakRssMiB: number | null;
}

interface Ratio {
  name: string;
  value: number | null;
  unit: '×' | 'MiB';
  meaning: string;
}

interface Results {
  installation: { path: string; bytes: number; files: number; databaseBytes: number; dbMib: number; reused: boolean };
  runs: number;
  environment: { node: string; cpus: number; tar: string | null; integrityCheck: string; source: string | null };
  verified: boolean;
  verification: Verification;
  operations: Record<OpKey, OpResult>;
  ratios: Ratio[];
}

function opResult(key: OpKey, samples: OpSamples, bytes: number): OpResult {
  const med = median(samples.seconds);
  return {
    label: OP_LABELS[key],
    runsSeconds: samples.seconds.map((x) => round(x, 3)),
    medianSeconds: med === null ? null : round(med, 3),
    mbPerSecond: med ? round(bytes / 1e6 / med, 1) : null,
    outputBytes: samples.outputBytes,
    peakRssMiB: samples.rssKiB.length ? round(Math.max(...samples.rssKiB) / 1024, 1) : null,
  };
}

function speedRatio(name: string, baseline: OpResult, lifeboat: OpResult): Ratio {
  const value = baseline.medianSeconds !== null && lifeboat.medianSeconds ? round(baseline.medianSeconds / lifeboat.medianSeconds, 3) : null;
  return { name, value, unit: '×', meaning: '> 1: lifeboat faster' };
}

function ratiosOf(ops: Record<OpKey, OpResult>): Ratio[] {
  const backup = ops.lifeboatCreate.outputBytes;
  const tgz = ops.tarCzf.outputBytes;
  return [
    speedRatio('create vs tar -czf (tar time / lifeboat time)', ops.tarCzf, ops.lifeboatCreate),
    speedRatio('restore vs tar -xzf (tar time / lifeboat time)', ops.tarXzf, ops.lifeboatRestore),
    { name: 'backup size / tgz size', value: backup && tgz ? round(backup / tgz, 4) : null, unit: '×', meaning: '< 1: backup smaller' },
    { name: 'peak RSS, lifeboat backup create', value: ops.lifeboatCreate.peakRssMiB, unit: 'MiB', meaning: 'whole process, highest over all runs' },
    { name: 'peak RSS, lifeboat restore', value: ops.lifeboatRestore.peakRssMiB, unit: 'MiB', meaning: 'whole process, highest over all runs' },
  ];
}

function formatResults(r: Results): string {
  const inst = r.installation;
  const v = r.verification;
  const lines = [
    `Installation: ${mib(inst.bytes)} in ${inst.files} files, database ${mib(inst.databaseBytes)} (demo init --db-mib ${inst.dbMib}; ${inst.path}${inst.reused ? ', reused' : ''})`,
    `Node ${r.environment.node}, ${r.environment.cpus} CPUs; ${r.environment.tar ?? 'tar ?'}; integrity check: ${r.environment.integrityCheck}; source ${r.environment.source ?? '?'}`,
    `${r.runs} run(s) per operation, median wall time; MB/s = installation bytes / 10^6 / median seconds`,
    '',
  ];
  const opRows = [['operation', 'median s', 'MB/s', 'runs (s)', 'output', 'out/inst', 'peak RSS']];
  for (const op of Object.values(r.operations)) {
    opRows.push([
      op.label,
      op.medianSeconds?.toFixed(2) ?? '—',
      op.mbPerSecond?.toFixed(1) ?? '—',
      op.runsSeconds.map((s) => s.toFixed(2)).join(' '),
      op.outputBytes !== null ? mib(op.outputBytes) : '',
      op.outputBytes !== null ? `${((op.outputBytes / inst.bytes) * 100).toFixed(1)} %` : '',
      op.peakRssMiB !== null ? `${op.peakRssMiB.toFixed(1)} MiB` : '',
    ]);
  }
  lines.push(table(opRows), '');
  const ratioRows = [['ratio', 'value', 'meaning']];
  for (const x of r.ratios) {
    const value = x.value === null ? '—' : x.unit === 'MiB' ? `${x.value.toFixed(1)} MiB` : `${x.value.toFixed(x.name.includes('size') ? 3 : 2)}×`;
    ratioRows.push([x.name, value, x.meaning]);
  }
  lines.push(table(ratioRows, [2]), '');
  lines.push(
    r.verified
      ? `Correctness: after lifeboat restore, ${v.files} files (${v.bytes} bytes) match the installation before the backup (sha256); ` +
          `${DB} integrity_check: ${v.integrity.result}; backup encrypted with SecureTar ${v.secureTar ?? '?'}.`
      : 'Correctness: NOT VERIFIED',
  );
  if (v.notRestored.length) lines.push(`  Not in the backup (Home Assistant's exclude rules, live database sidecars): ${v.notRestored.join(', ')}`);
  for (const n of v.notes) lines.push(`  Note: ${n}`);
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

async function benchmark(opts: Options): Promise<Results> {
  mkdirSync(opts.work, { recursive: true });
  const { root, reused } = await ensureInstallation(opts);
  if (reused) log(`Reusing ${root} (demo init --db-mib ${opts.dbMib}); --regen to recreate it`);
  // Warm-up: read (and hash) every file once, untimed, so every row sees a warm page cache.
  log('Warm-up read of the installation …');
  const before = installationManifest(root, { sqliteDigest: true });
  const dbBytes = before.files.get(DB)?.size;
  if (dbBytes === undefined) throw new Error(`${root} has no ${DB}`);

  const out = join(opts.work, 'out');
  const p: Paths = { inst: root, out, tgz: join(out, 'inst.tgz'), untar: join(out, 'untar'), rss: join(out, 'rss.txt') };
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const keys: OpKey[] = ['lifeboatCreate', 'tarCzf', 'lifeboatRestore', 'tarXzf'];
  const empty = (): OpSamples => ({ seconds: [], rssKiB: [], outputBytes: null });
  const samples: Record<OpKey, OpSamples> = { lifeboatCreate: empty(), tarCzf: empty(), lifeboatRestore: empty(), tarXzf: empty() };
  let verification: Verification | null = null;
  try {
    for (let run = 0; run < opts.runs; run++) {
      log(`Run ${run + 1}/${opts.runs} …`);
      const v = await oneRun(p, samples, run === 0 ? before : null, run === opts.runs - 1, opts.keep);
      verification ??= v;
      log(`  ${keys.map((k) => `${OP_LABELS[k]} ${(samples[k].seconds[run] ?? 0).toFixed(2)} s`).join(', ')}`);
    }
  } finally {
    if (!opts.keep) rmSync(p.out, { recursive: true, force: true });
  }
  if (!verification) throw new Error('the correctness check did not run');

  const operations = Object.fromEntries(keys.map((k) => [k, opResult(k, samples[k], before.bytes)])) as Record<OpKey, OpResult>;
  return {
    installation: { path: root, bytes: before.bytes, files: before.files.size, databaseBytes: dbBytes, dbMib: opts.dbMib, reused },
    runs: opts.runs,
    environment: { node: process.version, cpus: cpus().length, tar: hasCommand('tar'), integrityCheck: integrityTool(), source: sourceRevision() },
    verified: true,
    verification,
    operations,
    ratios: ratiosOf(operations),
  };
}

benchMain({
  usage: USAGE,
  parse: parseOptions,
  run: (opts) => {
    // The installation is always given with -c; Lifeboat's data folder is kept in the work folder.
    delete process.env.LIFEBOAT_CONFIG;
    process.env.LIFEBOAT_DATA = join(opts.work, 'data');
    return benchmark(opts);
  },
  format: formatResults,
});
