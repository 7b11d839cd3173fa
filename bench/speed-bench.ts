// Why this benchmark exists: Lifeboat's goal is full, self-contained backups (each one restorable on
// its own, in Home Assistant's format) at the speed of an incremental one. This measures that claim
// against restic, the incremental tool people would otherwise use, in one run: a first backup, a
// "typical day" of changes (three YAML files edited, the recorder database grown by 1 % and a few
// hundred of its rows updated, a new 1 MB snapshot), the next backup, and a restore — with times,
// peak RSS and sizes (against tar -czf) — and it proves every backup it makes: an independent Python
// reader extracts each one and compares it with the tree it was made from (the database by content).
// --memory-gib N reports Lifeboat's peak RSS on a 256 MiB and an N GiB installation side by side;
// --writer measures how long a process committing to the database stalls during a backup.
//
//   npm run build && node --import tsx bench/speed-bench.ts [--runs 3] [--writer] [--json]

import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { parseDocument } from 'yaml';
import { openRecorderDb } from '../src/source/demo-installation.js';
import { RecorderWriter } from '../test/helpers/recorder-writer-process.js';
import { checkSeqDatabase, type WriterSummary } from '../test/helpers/seq-db.js';
import {
  benchMain,
  CLI,
  COMMON_OPTIONS,
  type CommonOptions,
  commonOptions,
  compareManifests,
  type CreateOutput,
  folderBytes,
  fresh,
  hasCommand,
  installationManifest,
  KiB,
  log,
  type Manifest,
  median,
  mib,
  MiB,
  parseCreateOutput,
  positiveInt,
  readMarker,
  REPO,
  restorable,
  round,
  runLifeboat,
  runTimed,
  sourceRevision,
  syncDisks,
  table,
  UsageError,
  VerifyError,
} from './bench-lib.js';
import { Clock, entityRegistryItem, PLATFORMS, pyLine, randomSource, Rng, textSource, writeChunked, z2mLogLine } from './generated-content.js';

const GENERATOR_VERSION = 1; // bump when an installation's recipe changes, so old ones are rebuilt
const PASSWORD = 'bench-key';
const DB = 'home-assistant_v2.db';
const GiB = 1024 * MiB;
const PYTHON = '/usr/bin/python3';
const READER = join(REPO, 'test', 'helpers', 'python_backup_reader.py');
const DIGEST = join(REPO, 'bench', 'sqlite_content_digest.py');
/** The priority the `lifeboat` command gives itself (src/util/background-priority.ts); restic gets the same. */
const NICE = 10;
/** The tables test/helpers/recorder-writer.ts commits to (see test/helpers/seq-db.ts). */
const WRITER_TABLES = ['seq', 'seq_part'] as const;
const WRITER_INTERVAL_MS = 10;
/** The demo database of the bigger installation in --memory-gib mode. */
const MEMORY_DB_MIB = 512;

const GOALS = { nextVsRestic: 1.0, sizeVsTar: 1.05, peakRssMiB: 100, flatGrowthMiB: 10, writerStallMs: 100 } as const;

// ---------------------------------------------------------------------------------------------
// Options

interface Options extends CommonOptions {
  runs: number;
  dbMib: number;
  memoryGib: number | null;
  writer: boolean;
}

const USAGE = `Usage: node --import tsx bench/speed-bench.ts [options]

Full backups at the speed of an incremental one? Measures, in one run, Lifeboat's full, encrypted,
self-contained backups against restic (incremental, deduplicating) on a Home Assistant installation,
and checks every backup it makes. Build first: npm run build (the benchmark runs this checkout's
bin/lifeboat and dist/). Needs restic, GNU tar, /usr/bin/time (apt-get install restic time) and
${PYTHON} with PyNaCl and cryptography (scripts/test.sh installs those).

The installation (built once into WORK/base/, then copied with cp -a for every run, untimed):
lifeboat demo init --db-mib N (a recorder database in WAL mode, YAML, .storage/, a custom component)
plus 20 × 1 MiB JPEG-like random files in www/snapshots/ and 200 small Python/JSON files in
custom_components/ — about 280 MiB with the default 256 MiB database.

Each run, on a fresh copy of it, with a fresh Lifeboat data folder (LIFEBOAT_DATA=WORK/run/data)
and a fresh restic repository (restic init untimed):
  1. first backup   lifeboat -c INST backup create --password ${PASSWORD} --json   (SecureTar v3)
                    vs restic backup . (in INST, --exclude INST/backups; RESTIC_PASSWORD set)
  2. a typical day  automations.yaml, scripts.yaml and configuration.yaml get a few lines each (still
                    valid YAML); ${DB} grows by 1 % (recorder-like rows) and 300 rows
                    of states spread over the whole table are updated; www/snapshots/new_day.jpg
                    (1 MiB of random bytes) is added. Applied once: both tools see the same tree.
  3. next backup    the same commands again (Lifeboat keeps its data folder, restic its repository)
  4. restore        lifeboat -c INST restore ID --password ${PASSWORD} --yes (the next backup, staged
                    and swapped in atomically, into the installation itself: the old one is removed)
                    and lifeboat -c EMPTYDIR restore FILE … (the same backup, staged and swapped in
                    the same way, into an empty installation: what restic's restore does)
                    vs restic restore latest --target EMPTYDIR
  5. sizes          the Lifeboat backup files, the restic repository's growth per backup, and
                    tar -czf (GNU tar, gzip's default level 6) of the same tree without backups/,
                    made (untimed) after each backup step
Before every timed command: sync (untimed). Before each backup the tree is read once (it is hashed
for the checks), so both tools see a warm page cache; before the restores both inputs are read once.
restic runs at nice ${NICE}, the priority the lifeboat command gives itself, so both compete alike with
other load. Lifeboat fsyncs what it writes; both are timed as wall time of the whole command.

Peak RSS: Lifeboat's is the process's VmHWM (/proc/self/status, whole process, worker threads
included), written at exit by bench/rss-probe.mjs preloaded through NODE_OPTIONS. restic's is
GNU time's %M (/usr/bin/time -f %M: the maximum resident set size from wait4's rusage of the restic
process alone; time itself is small, so nothing larger is inherited).

Correctness, every run, exit status 1 on any mismatch: right before each backup the tree is recorded
(every file's size and SHA-256; ${DB} by content: schema and every table's rows in rowid
order, hashed by bench/sqlite_content_digest.py, since a consistent copy of a live database need not
be byte-identical). Each Lifeboat backup is extracted by test/helpers/python_backup_reader.py (an
independent reader: Python tarfile, libsodium, OpenSSL) and compared with its tree — all but
backups/, Home Assistant's excluded files (*.log, tts/*, __pycache__, …) and the -wal/-shm
sidecars; the extracted database must also pass integrity_check. After each Lifeboat restore the
installation (the restored one, and the empty one restored into) must equal the restored backup's
tree the same way, and restic's restore must equal it byte for byte (excluded files included:
restic has no such rules).

Reading the output: times are medians over the runs, with every run's value. Ratios are
"other tool's time / Lifeboat's time" (> 1: Lifeboat faster), per run, then their median; sizes are
Lifeboat backup / tar -czf (< 1: smaller); "Lifeboat first s / next s" shows what the data folder
kept from the first backup saves. Goals (reported, they do not change the exit status):
next backup vs restic's incremental ≥ ${GOALS.nextVsRestic.toFixed(2)}×, size ≤ ${GOALS.sizeVsTar} × tar -czf, Lifeboat peak RSS ≤ ${GOALS.peakRssMiB} MiB,
writer stall < ${GOALS.writerStallMs} ms.

Options:
  --runs N          repetitions of the whole sequence; medians and every value are shown
                    (default 3; 1 with --memory-gib)
  --db-mib N        size of the installation's demo database (default 256)
  --writer          during every Lifeboat first backup, a separate Node.js process
                    (test/helpers/recorder-writer.ts) commits a row every ${WRITER_INTERVAL_MS} ms to ${DB}
                    in its own transactions and records how long each commit took; the longest
                    (the max stall) and the longest gap between two commits are reported. The
                    extracted backup must then hold a gap-free prefix of its commits, and every
                    other table must equal the tree before the backup. The first backup's time
                    then includes the writer's load
  --memory-gib N    memory mode instead: only Lifeboat, on the default installation and on one of
                    N GiB (a ${MEMORY_DB_MIB} MiB demo database, the same extras, then incompressible
                    recordings and compressible logs up to N GiB; generated in 2 MiB chunks);
                    reports the peak RSS of first backup, next backup and restore side by side
                    (goal: ≤ ${GOALS.peakRssMiB} MiB and flat, i.e. at most ${GOALS.flatGrowthMiB} MiB more on the large
                    installation). Every backup is still checked. Needs about 3 × N
                    GiB of free disk
  --work DIR        work folder (default bench/.work/speed, git-ignored)
  --regen           rebuild the installation(s) even if a matching one exists
  --json            print the results as JSON on stdout (the tables go to stderr)
  --keep            keep the last run's folder (WORK/run: installation, backups, restic repository);
                    a run that fails always leaves it
  -h, --help        show this help
`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      runs: { type: 'string' },
      'db-mib': { type: 'string' },
      'memory-gib': { type: 'string' },
      writer: { type: 'boolean', default: false },
      ...COMMON_OPTIONS,
    },
  });
  if (values.help) return null;
  const memoryGib = values['memory-gib'] === undefined ? null : positiveInt('--memory-gib', values['memory-gib'], 4, 1);
  const dbMib = positiveInt('--db-mib', values['db-mib'], 256, 1);
  if (memoryGib !== null && memoryGib * GiB <= (MEMORY_DB_MIB + 64) * MiB) throw new UsageError('--memory-gib is too small');
  return {
    runs: positiveInt('--runs', values.runs, memoryGib === null ? 3 : 1, 1),
    dbMib,
    memoryGib,
    writer: values.writer ?? false,
    ...commonOptions(values, join('.work', 'speed')),
  };
}

// ---------------------------------------------------------------------------------------------
// The installations: built once per recipe into WORK/base/<key>, copied for every run

const SNAPSHOTS = 20;
const COMPONENT_FILES = 200;
const BULK_FILE = 64 * MiB;

interface BaseSpec {
  key: string;
  dbMib: number;
  /** Fill up to this size with recordings and logs (memory mode); null: the default extras only. */
  totalBytes: number | null;
}

interface BaseMarker {
  generator: number;
  dbMib: number;
  totalBytes: number | null;
  bytes: number;
  files: number;
  created: string;
}

interface Base {
  root: string;
  spec: BaseSpec;
  bytes: number;
  files: number;
  databaseBytes: number;
  reused: boolean;
}

/** Random bytes behind a JPEG start-of-image and JFIF header: incompressible, like a camera snapshot. */
function jpegSource(): (want: number) => Buffer {
  let first = true;
  return (want) => {
    const buf = randomBytes(want);
    if (first) Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex').copy(buf);
    first = false;
    return buf;
  };
}

/** The default extras: 20 × 1 MiB snapshots and 200 small text files in ten custom integrations. */
function addExtras(root: string): void {
  for (let i = 1; i <= SNAPSHOTS; i++) writeChunked(join(root, 'www', 'snapshots', `camera_${String(i).padStart(2, '0')}.jpg`), MiB, jpegSource());
  const rng = new Rng(0x5eedc0de);
  const integrations = Array.from({ length: 10 }, (_, i) => `${PLATFORMS[i % PLATFORMS.length] ?? 'custom'}_${['bridge', 'cloud', 'local', 'plus', 'ble'][i % 5] ?? 'x'}_${i}`);
  for (let i = 0; i < COMPONENT_FILES; i++) {
    const dir = `custom_components/${integrations[i % integrations.length] ?? 'x'}/${rng.pick(['', '', 'translations/', 'helpers/'])}`;
    const json = i % 4 === 3;
    const size = rng.int(1 * KiB, 6 * KiB);
    writeChunked(join(root, `${dir}file_${String(i).padStart(3, '0')}.${json ? 'json' : 'py'}`), size, textSource(() => (json ? entityRegistryItem(rng) : pyLine(rng))));
  }
}

/** Memory mode: incompressible recordings and compressible Zigbee2MQTT logs, half each, up to `total` bytes. */
function addBulk(root: string, total: number): void {
  const left = total - folderBytes(root);
  if (left <= 0) return;
  const rng = new Rng(0xb16b00b5);
  const clock = new Clock();
  const spend = (bytes: number, path: (i: number) => string, source: (want: number) => Buffer): void => {
    for (let i = 0, rest = bytes; rest > 0; i++, rest -= BULK_FILE) writeChunked(join(root, path(i)), Math.min(BULK_FILE, rest), source);
  };
  const half = Math.floor(left / 2);
  spend(half, (i) => `media/recordings/driveway_${String(i).padStart(3, '0')}.mp4`, randomSource);
  spend(left - half, (i) => `zigbee2mqtt/log/2026-07-${String((i % 28) + 1).padStart(2, '0')}_${String(i).padStart(3, '0')}/log.txt`, textSource(() => z2mLogLine(rng, clock)));
}

/** Reuses WORK/base/<key> while its marker matches, otherwise (or with --regen) builds it. */
async function ensureBase(work: string, spec: BaseSpec, regen: boolean): Promise<Base> {
  const root = join(work, 'base', spec.key);
  const markerPath = join(work, 'base', `${spec.key}.marker.json`);
  const marker = readMarker<BaseMarker>(markerPath);
  const matches = marker && marker.generator === GENERATOR_VERSION && marker.dbMib === spec.dbMib && marker.totalBytes === spec.totalBytes;
  let reused = true;
  if (regen || !matches || !existsSync(join(root, DB))) {
    reused = false;
    rmSync(markerPath, { force: true });
    rmSync(root, { recursive: true, force: true });
    mkdirSync(join(work, 'base'), { recursive: true });
    log(`Building the installation ${root} (demo init --db-mib ${spec.dbMib}${spec.totalBytes ? `, filled up to ${mib(spec.totalBytes)}` : ''}) …`);
    const started = performance.now();
    await runTimed(process.execPath, [CLI, 'demo', 'init', root, '--db-mib', String(spec.dbMib)]);
    addExtras(root);
    if (spec.totalBytes !== null) addBulk(root, spec.totalBytes);
    const m = installationManifest(root);
    const next: BaseMarker = { generator: GENERATOR_VERSION, dbMib: spec.dbMib, totalBytes: spec.totalBytes, bytes: m.bytes, files: m.files.size, created: new Date().toISOString() };
    writeFileSync(markerPath, `${JSON.stringify(next, null, 2)}\n`);
    log(`  ${next.files} files, ${mib(next.bytes)} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } else log(`Reusing ${root}; --regen rebuilds it`);
  const final = readMarker<BaseMarker>(markerPath);
  if (!final) throw new Error(`${markerPath} is missing`);
  return { root, spec, bytes: final.bytes, files: final.files, databaseBytes: statSync(join(root, DB)).size, reused };
}

// ---------------------------------------------------------------------------------------------
// A typical day of changes

interface DayReport {
  yamlFiles: string[];
  yamlLines: number;
  rowsInserted: number;
  rowsUpdated: number;
  databaseBytesBefore: number;
  databaseBytesAfter: number;
  growthPercent: number;
  newFile: string;
  newFileBytes: number;
}

const DAY_YAML: Record<string, string> = {
  'automations.yaml': [
    '- id: "1700000000100"',
    '  alias: Porch light at sunset',
    '  trigger:',
    '    - platform: sun',
    '      event: sunset',
    '      offset: "-00:15:00"',
    '  action:',
    '    - service: light.turn_on',
    '      target: { entity_id: light.kitchen }',
    '',
  ].join('\n'),
  'scripts.yaml': ['movie_time:', '  alias: Movie time', '  sequence:', '    - service: light.turn_off', '      target: { entity_id: light.living_room }', ''].join('\n'),
  'configuration.yaml': ['', 'input_boolean:', '  guest_mode:', '    name: Guest mode', '    icon: mdi:account-multiple', ''].join('\n'),
};
const DAY_UPDATES = 300;
const DAY_GROWTH = 0.01;
const DAY_FILE = 'www/snapshots/new_day.jpg';

/** Applies the day's changes to an installation (Home Assistant stopped or idle: no writer runs). */
function applyTypicalDay(inst: string, seed: number): DayReport {
  let yamlLines = 0;
  for (const [rel, text] of Object.entries(DAY_YAML)) {
    const path = join(inst, rel);
    appendFileSync(path, text);
    yamlLines += text.split('\n').length - 1;
    const doc = parseDocument(readFileSync(path, 'utf8'));
    if (doc.errors.length) throw new Error(`${rel} is no longer valid YAML after the day's edit: ${doc.errors[0]?.message ?? ''}`);
  }

  const dbPath = join(inst, DB);
  const databaseBytesBefore = statSync(dbPath).size;
  const probe = new Database(dbPath, { fileMustExist: true });
  const { n, lo, hi } = probe.prepare('SELECT COUNT(*) AS n, MIN(state_id) AS lo, MAX(state_id) AS hi FROM states').get() as { n: number; lo: number; hi: number };
  probe.close();
  const rowsInserted = Math.max(1, Math.round(n * DAY_GROWTH));
  const recorder = openRecorderDb(dbPath);
  try {
    const now = Date.now();
    for (let done = 0; done < rowsInserted; done += 5000) recorder.writeBatch(Math.min(5000, rowsInserted - done), now + done);
  } finally {
    recorder.close();
  }
  const rng = new Rng(seed);
  const db = new Database(dbPath, { fileMustExist: true });
  try {
    const update = db.prepare('UPDATE states SET state = ?, last_updated_ts = ? WHERE state_id = ?');
    const ids = new Set<number>();
    while (ids.size < DAY_UPDATES) ids.add(rng.int(lo, hi)); // spread over the rows that were there
    const ts = Date.now() / 1000;
    db.transaction(() => {
      for (const id of ids) if (update.run((15 + rng.next() * 10).toFixed(2), ts, id).changes !== 1) throw new Error(`states row ${id} is missing`);
    })();
  } finally {
    db.close();
  }
  const databaseBytesAfter = statSync(dbPath).size;

  writeChunked(join(inst, DAY_FILE), MiB, jpegSource());
  return {
    yamlFiles: Object.keys(DAY_YAML),
    yamlLines,
    rowsInserted,
    rowsUpdated: DAY_UPDATES,
    databaseBytesBefore,
    databaseBytesAfter,
    growthPercent: round(((databaseBytesAfter - databaseBytesBefore) / databaseBytesBefore) * 100, 2),
    newFile: DAY_FILE,
    newFileBytes: MiB,
  };
}

// ---------------------------------------------------------------------------------------------
// Trees and their checks

interface DbContent {
  sha256: string;
  schema_sha256: string;
  tables: Record<string, { rows: number; sha256: string }>;
  integrity: string | null;
}

/** A tree as recorded right before a backup: every file (size, SHA-256) and the database's content. */
interface TreeState {
  manifest: Manifest;
  db: DbContent;
  /** Tables left out of `db` (the live writer's). */
  skipTables: readonly string[];
}

async function dbContent(path: string, skipTables: readonly string[], integrity: boolean): Promise<DbContent> {
  const args = [DIGEST, path, ...skipTables.flatMap((t) => ['--skip-table', t]), ...(integrity ? ['--integrity-check'] : [])];
  return JSON.parse((await runTimed(PYTHON, args)).stdout) as DbContent;
}

/** Reads every file once (hashing it): the page cache is warm for the command that follows. */
async function treeState(root: string, skipTables: readonly string[]): Promise<TreeState> {
  const manifest = installationManifest(root);
  return { manifest, db: await dbContent(join(root, DB), skipTables, false), skipTables };
}

function withoutDb(m: Manifest): Manifest {
  const files = new Map(m.files);
  const entry = files.get(DB);
  files.delete(DB);
  return { files, dirs: m.dirs, bytes: m.bytes - (entry?.size ?? 0) };
}

function compareDb(expected: DbContent, actual: DbContent): string[] {
  const problems: string[] = [];
  if (actual.integrity !== null && actual.integrity !== 'ok') problems.push(`${DB}: integrity_check says ${actual.integrity.split('\n').slice(0, 3).join('; ')}`);
  if (expected.sha256 === actual.sha256) return problems;
  if (expected.schema_sha256 !== actual.schema_sha256) problems.push(`${DB}: the schema differs`);
  for (const name of new Set([...Object.keys(expected.tables), ...Object.keys(actual.tables)])) {
    const want = expected.tables[name];
    const got = actual.tables[name];
    if (!want || !got) problems.push(`${DB}: table ${name} is ${got ? 'unexpected' : 'missing'}`);
    else if (want.sha256 !== got.sha256) problems.push(`${DB}: table ${name} differs (${got.rows} rows, expected ${want.rows})`);
  }
  if (problems.length === 0) problems.push(`${DB}: content digest differs`);
  return problems;
}

/** Compares a tree (a manifest and its database's content) with the one a backup was made from. */
function compareWithTree(expected: TreeState, actual: Manifest, actualDb: DbContent): string[] {
  if (!actual.files.has(DB)) return [`${DB} is missing`];
  const problems = compareManifests(withoutDb(restorable(expected.manifest).manifest), withoutDb(restorable(actual).manifest));
  return [...problems, ...compareDb(expected.db, actualDb)];
}

function fail(what: string, problems: string[]): void {
  if (problems.length === 0) return;
  const shown = problems.slice(0, 20).map((x) => `  - ${x}`);
  if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more`);
  throw new VerifyError(`${what}:\n${shown.join('\n')}`);
}

interface WriterCheck {
  summary: WriterSummary;
  commitsAtStart: number;
}

/** Extracts a backup with the Python reader and compares it with the tree recorded before it. */
async function verifyBackup(label: string, backup: CreateOutput, before: TreeState, extractDir: string, writer: WriterCheck | null): Promise<string> {
  const problems: string[] = [];
  if (!backup.protected) problems.push('the backup is not encrypted (protected: false)');
  for (const d of backup.databases.filter((x) => !x.ok)) problems.push(`backup create could not copy ${d.path}: ${d.error ?? '?'}`);
  fresh(extractDir);
  mkdirSync(extractDir, { recursive: true });
  const read = JSON.parse((await runTimed(PYTHON, [READER, backup.path, extractDir, PASSWORD])).stdout) as { entries: number };
  const data = join(extractDir, 'data');
  const actual = installationManifest(data);
  const db = await dbContent(join(data, DB), before.skipTables, true);
  problems.push(...compareWithTree(before, actual, db));
  let writerNote = '';
  if (writer) {
    const r = checkSeqDatabase(join(data, DB));
    const total = writer.summary.commits;
    if (r.badRows || r.tornIds || (r.rows > 0 && (r.minId !== 1 || r.maxId !== r.rows))) {
      problems.push(`the live writer's rows in the backup are not a gap-free, untorn prefix: ${JSON.stringify(r)}`);
    }
    if (r.rows < writer.commitsAtStart || r.rows > total) problems.push(`the backup holds ${r.rows} writer commits, expected ${writer.commitsAtStart}…${total}`);
    writerNote = `; the writer's commits 1…${r.rows} (of ${total}; ${writer.commitsAtStart} before the backup began), gap-free and untorn`;
  }
  fail(`the ${label} (${backup.path}) does not match the tree it was made from`, problems);
  rmSync(extractDir, { recursive: true, force: true });
  const files = withoutDb(restorable(before.manifest).manifest);
  return `${label}: Python reader extracted ${read.entries} entries; ${files.files.size} files (${files.bytes} bytes) match by size + SHA-256, ${DB} by content (${Object.keys(db.tables).length} tables, integrity_check ${db.integrity ?? '?'})${writerNote}`;
}

/** After `lifeboat restore`: the installation equals the restored backup's tree. */
async function verifyRestored(inst: string, before: TreeState): Promise<string> {
  const problems: string[] = [];
  if (readdirSync(inst).some((n) => n.startsWith('.lifeboat-restore'))) problems.push('a restore staging folder (.lifeboat-restore-*) is still there');
  const actual = installationManifest(inst);
  const db = await dbContent(join(inst, DB), before.skipTables, true);
  problems.push(...compareWithTree(before, actual, db));
  fail(`the installation after lifeboat restore (${inst}) does not match the restored backup's tree`, problems);
  return `lifeboat restore: ${basename(inst)} matches the next backup's tree (files by size + SHA-256, ${DB} by content, integrity_check ${db.integrity ?? '?'})`;
}

/** After `restic restore`: byte for byte the tree restic backed up (minus backups/, which it excluded). */
function verifyResticRestored(dir: string, before: TreeState): string {
  fail(`restic's restore (${dir}) does not match the tree it backed up`, compareManifests(before.manifest, installationManifest(dir)));
  return `restic restore: ${before.manifest.files.size} files (${before.manifest.bytes} bytes) match byte for byte`;
}

// ---------------------------------------------------------------------------------------------
// The tools

interface StepSample {
  seconds: number;
  rssKiB: number | null;
}

interface RunPaths {
  dir: string;
  inst: string;
  data: string;
  repo: string;
  resticCache: string;
  resticRestore: string;
  /** An empty installation and its data folder, for Lifeboat's restore into an empty folder. */
  emptyInst: string;
  emptyData: string;
  extract: string;
  tgz: string;
  rss: string;
  writerSummary: string;
}

function runPaths(work: string): RunPaths {
  const dir = join(work, 'run');
  return {
    dir,
    inst: join(dir, 'inst'),
    data: join(dir, 'data'),
    repo: join(dir, 'restic-repo'),
    resticCache: join(dir, 'restic-cache'),
    resticRestore: join(dir, 'restic-restore'),
    emptyInst: join(dir, 'empty-inst'),
    emptyData: join(dir, 'empty-data'),
    extract: join(dir, 'extract'),
    tgz: join(dir, 'tree.tgz'),
    rss: join(dir, 'rss.txt'),
    writerSummary: join(dir, 'writer-summary.json'),
  };
}

/** What `--verbose` says of segment reuse: "reused: N, compressed: M, reused_bytes: B, damaged: D". */
function segmentReuse(stderr: string): SegmentReuse | null {
  const m = /Segments of large files reused.*reused: (\d+), compressed: (\d+), reused_bytes: (\d+), damaged: (\d+)/.exec(stderr);
  return m ? { reused: Number(m[1]), compressed: Number(m[2]), reusedBytes: Number(m[3]), damaged: Number(m[4]) } : null;
}

async function lifeboatBackup(p: RunPaths): Promise<{ step: StepSample; backup: CreateOutput; bytes: number; reuse: SegmentReuse | null }> {
  syncDisks();
  const run = await runLifeboat(['-c', p.inst, '--verbose', 'backup', 'create', '--password', PASSWORD, '--json'], p.rss);
  const backup = parseCreateOutput(run.stdout);
  if (!existsSync(backup.path)) throw new Error(`lifeboat backup create reported ${backup.path}, which does not exist`);
  return { step: { seconds: run.seconds, rssKiB: run.rssKiB }, backup, bytes: statSync(backup.path).size, reuse: segmentReuse(run.stderr) };
}

function resticEnv(p: RunPaths): NodeJS.ProcessEnv {
  return { ...process.env, RESTIC_REPOSITORY: p.repo, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: p.resticCache };
}

/** Runs restic at nice NICE under GNU time, which reports its peak RSS (%M, KiB). */
async function restic(p: RunPaths, args: string[], cwd?: string): Promise<StepSample & { stdout: string }> {
  const rssFile = `${p.rss}.restic`;
  rmSync(rssFile, { force: true });
  syncDisks();
  const run = await runTimed('/usr/bin/time', ['-f', '%M', '-o', rssFile, 'nice', '-n', String(NICE), 'restic', ...args], resticEnv(p), cwd);
  const rss = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  return { seconds: run.seconds, rssKiB: Number.isFinite(rss) ? rss : null, stdout: run.stdout };
}

async function resticBackup(p: RunPaths): Promise<StepSample> {
  const run = await restic(p, ['backup', '--json', '--exclude', join(p.inst, 'backups'), '.'], p.inst);
  if (!run.stdout.includes('"message_type":"summary"')) throw new Error(`restic backup printed no summary:\n${run.stdout.slice(-2000)}`);
  return { seconds: run.seconds, rssKiB: run.rssKiB };
}

/** restic's backup of the tree Lifeboat just backed up, the repository's growth, and tar -czf's size of the same tree. */
async function baselines(p: RunPaths): Promise<{ restic: StepSample; repoGrowth: number; tarBytes: number }> {
  const repoBefore = folderBytes(p.repo);
  const restic = await resticBackup(p);
  return { restic, repoGrowth: folderBytes(p.repo) - repoBefore, tarBytes: await tarBytes(p) };
}

/** tar -czf of the installation as it is (untimed, for its size), like backup-bench.ts. */
async function tarBytes(p: RunPaths): Promise<number> {
  fresh(p.tgz);
  await runTimed('tar', ['-czf', p.tgz, '--exclude=./backups', '-C', p.inst, '.']);
  const bytes = statSync(p.tgz).size;
  rmSync(p.tgz, { force: true });
  return bytes;
}

/** Reads files once (untimed), so a restore starts from a warm page cache whatever ran before. */
function readThrough(path: string): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path)) readThrough(join(path, name));
    return;
  }
  if (!st.isFile()) return;
  const buf = Buffer.allocUnsafe(4 * MiB);
  const fd = openSync(path, 'r');
  try {
    while (readSync(fd, buf, 0, buf.length, null) > 0);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// One run: first backup, a typical day, next backup, restore

type StepKey = 'lifeboatFirst' | 'resticFirst' | 'lifeboatNext' | 'resticNext' | 'lifeboatRestore' | 'lifeboatRestoreEmpty' | 'resticRestore';

interface Sizes {
  lifeboatFirst: number;
  lifeboatNext: number;
  tarFirst: number | null;
  tarNext: number | null;
  resticFirstGrowth: number | null;
  resticNextGrowth: number | null;
}

interface WriterReport {
  maxCommitMs: number;
  maxGapMs: number;
  commitsDuringBackup: number;
  backupSeconds: number;
}

interface SegmentReuse {
  reused: number;
  compressed: number;
  reusedBytes: number;
  damaged: number;
}

interface RunResult {
  steps: Partial<Record<StepKey, StepSample>>;
  sizes: Sizes;
  /** The next backup's segments: taken from the first backup's, or compressed. */
  nextReuse: SegmentReuse | null;
  day: DayReport;
  writer: WriterReport | null;
  checks: string[];
}

interface RunPlan {
  restic: boolean;
  writer: boolean;
  seed: number;
}

async function startWriter(p: RunPaths): Promise<RecorderWriter> {
  const writer = RecorderWriter.start(['--db', join(p.inst, DB), '--summary', p.writerSummary, '--interval-ms', String(WRITER_INTERVAL_MS)]);
  await writer.expect('ready');
  return writer;
}

async function stopWriter(writer: RecorderWriter, p: RunPaths): Promise<WriterSummary> {
  writer.child.kill('SIGTERM');
  const exit = await writer.exited;
  if (exit.code !== 0) throw new Error(`the live writer exited with ${exit.code ?? exit.signal}`);
  return JSON.parse(readFileSync(p.writerSummary, 'utf8')) as WriterSummary;
}

async function oneRun(base: Base, p: RunPaths, plan: RunPlan): Promise<RunResult> {
  fresh(p.dir);
  mkdirSync(p.dir, { recursive: true });
  await runTimed('cp', ['-a', base.root, p.inst]);
  mkdirSync(p.data, { mode: 0o700 });
  process.env.LIFEBOAT_DATA = p.data;
  const steps: RunResult['steps'] = {};
  const checks: string[] = [];
  if (plan.restic) await runTimed('restic', ['init'], resticEnv(p));

  // 1. First backup (with the live writer committing, if asked)
  const writer = plan.writer ? await startWriter(p) : null;
  let writerCheck: WriterCheck | null = null;
  let writerReport: WriterReport | null = null;
  let first: Awaited<ReturnType<typeof lifeboatBackup>>;
  const before1 = await treeState(p.inst, writer ? WRITER_TABLES : []);
  try {
    if (writer) writer.send('start');
    const commitsAtStart = writer ? await writer.expect('started') : 0;
    first = await lifeboatBackup(p);
    if (writer) {
      writer.send('end');
      await writer.expect('ended');
      const summary = await stopWriter(writer, p);
      writerCheck = { summary, commitsAtStart };
      writerReport = { maxCommitMs: round(summary.windowMaxCommitMs, 1), maxGapMs: round(summary.windowMaxGapMs, 1), commitsDuringBackup: summary.commitsDuringWindow, backupSeconds: round(first.step.seconds, 3) };
    }
  } finally {
    if (writer && writer.child.exitCode === null) writer.child.kill('SIGKILL');
  }
  steps.lifeboatFirst = first.step;
  const firstBaselines = plan.restic ? await baselines(p) : null;
  if (firstBaselines) steps.resticFirst = firstBaselines.restic;
  checks.push(await verifyBackup('first backup', first.backup, before1, p.extract, writerCheck));

  // 2. A typical day, 3. the next backup
  const day = applyTypicalDay(p.inst, plan.seed);
  const before2 = await treeState(p.inst, []);
  const next = await lifeboatBackup(p);
  steps.lifeboatNext = next.step;
  const nextBaselines = plan.restic ? await baselines(p) : null;
  if (nextBaselines) steps.resticNext = nextBaselines.restic;
  checks.push(await verifyBackup('next backup', next.backup, before2, p.extract, null));

  // 4. Restore: the next backup into the installation, and into an empty one; restic's latest
  // snapshot into an empty folder. (The restore into the installation leaves backups/ alone, and
  // with it the backup file the second restore reads.)
  readThrough(next.backup.path);
  if (plan.restic) readThrough(p.repo);
  syncDisks();
  const restore = await runLifeboat(['-c', p.inst, 'restore', next.backup.backup_id, '--password', PASSWORD, '--yes'], p.rss);
  steps.lifeboatRestore = { seconds: restore.seconds, rssKiB: restore.rssKiB };
  if (plan.restic) {
    readThrough(next.backup.path);
    syncDisks();
    const empty = await runLifeboat(['-c', p.emptyInst, '-d', p.emptyData, 'restore', next.backup.path, '--password', PASSWORD, '--yes'], p.rss);
    steps.lifeboatRestoreEmpty = { seconds: empty.seconds, rssKiB: empty.rssKiB };
    mkdirSync(p.resticRestore);
    steps.resticRestore = await restic(p, ['restore', 'latest', '--target', p.resticRestore]);
  }
  checks.push(await verifyRestored(p.inst, before2));
  if (plan.restic) {
    checks.push(await verifyRestored(p.emptyInst, before2));
    checks.push(verifyResticRestored(p.resticRestore, before2));
  }

  return {
    steps,
    nextReuse: next.reuse,
    sizes: {
      lifeboatFirst: first.bytes,
      lifeboatNext: next.bytes,
      tarFirst: firstBaselines?.tarBytes ?? null,
      tarNext: nextBaselines?.tarBytes ?? null,
      resticFirstGrowth: firstBaselines?.repoGrowth ?? null,
      resticNextGrowth: nextBaselines?.repoGrowth ?? null,
    },
    day,
    writer: writerReport,
    checks,
  };
}

function runLine(r: RunResult): string {
  const s = (k: StepKey): string => (r.steps[k] ? `${r.steps[k].seconds.toFixed(2)} s` : '—');
  const parts = [`first ${s('lifeboatFirst')} / restic ${s('resticFirst')}`, `next ${s('lifeboatNext')} / restic ${s('resticNext')}`, `restore ${s('lifeboatRestore')}, into an empty folder ${s('lifeboatRestoreEmpty')} / restic ${s('resticRestore')}`];
  if (r.writer) parts.push(`writer max commit ${r.writer.maxCommitMs} ms`);
  return `  ${parts.join('; ')}`;
}

async function runAll(base: Base, opts: Options, plan: Omit<RunPlan, 'seed'>, label: string): Promise<RunResult[]> {
  const p = runPaths(opts.work);
  const results: RunResult[] = [];
  for (let i = 0; i < opts.runs; i++) {
    log(`${label}run ${i + 1}/${opts.runs} …`);
    // A failed run leaves WORK/run as it is, to be looked into.
    const r = await oneRun(base, p, { ...plan, seed: 0x0da7 + i });
    for (const c of r.checks) log(`  verified ${c}`);
    log(runLine(r));
    results.push(r);
  }
  if (!opts.keep) fresh(p.dir);
  return results;
}

// ---------------------------------------------------------------------------------------------
// Results

const STEP_LABELS: Record<StepKey, [string, string]> = {
  lifeboatFirst: ['first backup', 'Lifeboat'],
  resticFirst: ['first backup', 'restic'],
  lifeboatNext: ['next backup', 'Lifeboat'],
  resticNext: ['next backup', 'restic'],
  lifeboatRestore: ['restore (in place, staged)', 'Lifeboat'],
  lifeboatRestoreEmpty: ['restore (empty folder, staged)', 'Lifeboat'],
  resticRestore: ['restore (empty folder)', 'restic'],
};

interface StepResult {
  step: string;
  tool: string;
  medianSeconds: number | null;
  runsSeconds: number[];
  peakRssMiB: number | null;
  runsRssMiB: (number | null)[];
}

interface RatioResult {
  name: string;
  median: number | null;
  runs: number[];
  goal: string;
  /** Decimal places shown. */
  digits: number;
}

interface Installation {
  /** How it was made. */
  recipe: string;
  path: string;
  bytes: number;
  files: number;
  databaseBytes: number;
  dbMib: number;
  reused: boolean;
}

interface Environment {
  node: string;
  cpus: number;
  restic: string | null;
  tar: string | null;
  python: string | null;
  source: string | null;
}

interface SpeedResults {
  mode: 'speed';
  installation: Installation;
  environment: Environment;
  runs: number;
  steps: Partial<Record<StepKey, StepResult>>;
  sizes: { runs: Sizes[]; median: Record<keyof Sizes, number | null> };
  nextReuse: (SegmentReuse | null)[];
  ratios: RatioResult[];
  writer: { runs: WriterReport[]; maxCommitMs: number; maxGapMs: number } | null;
  day: DayReport;
  goals: { name: string; value: number | null; target: string; met: boolean | null }[];
  verified: true;
  checks: string[];
}

function kibToMiB(kib: number | null): number | null {
  return kib === null ? null : round(kib / 1024, 1);
}

function stepResult(key: StepKey, runs: RunResult[]): StepResult | null {
  const samples = runs.map((r) => r.steps[key]).filter((x): x is StepSample => x !== undefined);
  if (samples.length === 0) return null;
  const med = median(samples.map((s) => s.seconds));
  const rss = samples.map((s) => kibToMiB(s.rssKiB));
  const known = rss.filter((x): x is number => x !== null);
  const [step, tool] = STEP_LABELS[key];
  return {
    step,
    tool,
    medianSeconds: med === null ? null : round(med, 3),
    runsSeconds: samples.map((s) => round(s.seconds, 3)),
    peakRssMiB: known.length ? Math.max(...known) : null,
    runsRssMiB: rss,
  };
}

function ratioOf(name: string, values: (number | null)[], goal: string, digits: number): RatioResult {
  const runs = values.filter((v): v is number => v !== null && Number.isFinite(v)).map((v) => round(v, digits));
  const med = median(runs);
  return { name, median: med === null ? null : round(med, digits), runs, goal, digits };
}

function speedRatios(runs: RunResult[]): RatioResult[] {
  const time = (r: RunResult, k: StepKey): number | null => r.steps[k]?.seconds ?? null;
  const div = (a: number | null, b: number | null): number | null => (a !== null && b ? a / b : null);
  return [
    ratioOf('first backup: restic s / Lifeboat s', runs.map((r) => div(time(r, 'resticFirst'), time(r, 'lifeboatFirst'))), '> 1: Lifeboat faster', 2),
    ratioOf('next backup: restic s / Lifeboat s', runs.map((r) => div(time(r, 'resticNext'), time(r, 'lifeboatNext'))), `≥ ${GOALS.nextVsRestic.toFixed(2)}: a full backup as fast as restic's incremental one`, 2),
    ratioOf('restore: restic s / Lifeboat s', runs.map((r) => div(time(r, 'resticRestore'), time(r, 'lifeboatRestore'))), '> 1: Lifeboat faster (Lifeboat in place)', 2),
    ratioOf('restore, both into an empty folder', runs.map((r) => div(time(r, 'resticRestore'), time(r, 'lifeboatRestoreEmpty'))), '> 1: Lifeboat faster', 2),
    ratioOf('Lifeboat first s / next s', runs.map((r) => div(time(r, 'lifeboatFirst'), time(r, 'lifeboatNext'))), '> 1: what the data folder keeps speeds the next backup up', 2),
    ratioOf('size, first: Lifeboat / tar -czf', runs.map((r) => div(r.sizes.lifeboatFirst, r.sizes.tarFirst)), `≤ ${GOALS.sizeVsTar}`, 4),
    ratioOf('size, next: Lifeboat / tar -czf', runs.map((r) => div(r.sizes.lifeboatNext, r.sizes.tarNext)), `≤ ${GOALS.sizeVsTar}`, 4),
  ];
}

function medianSizes(runs: RunResult[]): Record<keyof Sizes, number | null> {
  const keys: (keyof Sizes)[] = ['lifeboatFirst', 'lifeboatNext', 'tarFirst', 'tarNext', 'resticFirstGrowth', 'resticNextGrowth'];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r.sizes[k]).filter((v): v is number => v !== null))])) as Record<keyof Sizes, number | null>;
}

function environment(): Environment {
  return { node: process.version, cpus: cpus().length, restic: hasCommand('restic', ['version']), tar: hasCommand('tar'), python: hasCommand(PYTHON), source: sourceRevision() };
}

function installationOf(base: Base): Installation {
  const { spec } = base;
  const fill = spec.totalBytes === null ? '' : `, recordings and logs up to ${mib(spec.totalBytes)}`;
  const recipe = `demo init --db-mib ${spec.dbMib}, ${SNAPSHOTS} × 1 MiB JPEG-like snapshots, ${COMPONENT_FILES} custom_components files${fill}`;
  return { recipe, path: base.root, bytes: base.bytes, files: base.files, databaseBytes: base.databaseBytes, dbMib: base.spec.dbMib, reused: base.reused };
}

function speedResults(base: Base, runs: RunResult[]): SpeedResults {
  const keys: StepKey[] = ['lifeboatFirst', 'resticFirst', 'lifeboatNext', 'resticNext', 'lifeboatRestore', 'lifeboatRestoreEmpty', 'resticRestore'];
  const steps: SpeedResults['steps'] = {};
  for (const k of keys) {
    const s = stepResult(k, runs);
    if (s) steps[k] = s;
  }
  const ratios = speedRatios(runs);
  const writers = runs.map((r) => r.writer).filter((w): w is WriterReport => w !== null);
  const writer = writers.length ? { runs: writers, maxCommitMs: Math.max(...writers.map((w) => w.maxCommitMs)), maxGapMs: Math.max(...writers.map((w) => w.maxGapMs)) } : null;
  const lifeboatRss = (['lifeboatFirst', 'lifeboatNext', 'lifeboatRestore', 'lifeboatRestoreEmpty'] as const).map((k) => steps[k]?.peakRssMiB ?? null).filter((x): x is number => x !== null);
  const peak = lifeboatRss.length ? Math.max(...lifeboatRss) : null;
  const ratio = (name: string): number | null => ratios.find((r) => r.name === name)?.median ?? null;
  const next = ratio('next backup: restic s / Lifeboat s');
  const sizes = [ratio('size, first: Lifeboat / tar -czf'), ratio('size, next: Lifeboat / tar -czf')].filter((x): x is number => x !== null);
  const worstSize = sizes.length ? Math.max(...sizes) : null;
  const goals: SpeedResults['goals'] = [
    { name: "next backup vs restic's incremental (median ratio)", value: next, target: `≥ ${GOALS.nextVsRestic.toFixed(2)}×`, met: next === null ? null : next >= GOALS.nextVsRestic },
    { name: 'backup size / tar -czf (worse of first and next)', value: worstSize, target: `≤ ${GOALS.sizeVsTar}`, met: worstSize === null ? null : worstSize <= GOALS.sizeVsTar },
    { name: 'Lifeboat peak RSS (MiB, any step, any run)', value: peak, target: `≤ ${GOALS.peakRssMiB} MiB`, met: peak === null ? null : peak <= GOALS.peakRssMiB },
  ];
  if (writer) goals.push({ name: 'writer max stall during the first backup (ms)', value: writer.maxCommitMs, target: `< ${GOALS.writerStallMs} ms`, met: writer.maxCommitMs < GOALS.writerStallMs });
  const first = runs[0];
  if (!first) throw new Error('no run finished');
  return {
    mode: 'speed',
    installation: installationOf(base),
    environment: environment(),
    runs: runs.length,
    steps,
    sizes: { runs: runs.map((r) => r.sizes), median: medianSizes(runs) },
    nextReuse: runs.map((r) => r.nextReuse),
    ratios,
    writer,
    day: first.day,
    goals,
    verified: true,
    checks: runs.flatMap((r, i) => r.checks.map((c) => `run ${i + 1}, ${c}`)),
  };
}

function reuseText(x: SegmentReuse | null): string {
  if (!x) return '—';
  const share = x.reused + x.compressed ? ((100 * x.reused) / (x.reused + x.compressed)).toFixed(1) : '0';
  return `${x.reused} of ${x.reused + x.compressed} (${share} %, ${mib(x.reusedBytes)})${x.damaged ? `, ${x.damaged} damaged` : ''}`;
}

const seconds = (x: number | null): string => (x === null ? '—' : x.toFixed(2));
const mibOrDash = (x: number | null): string => (x === null ? '—' : mib(x));

function installationLine(inst: Installation): string {
  return `Installation: ${mib(inst.bytes)} in ${inst.files} files (${inst.recipe}); ${DB} ${mib(inst.databaseBytes)}; ${inst.path}${inst.reused ? ' (reused)' : ''}`;
}

function dayLine(d: DayReport): string {
  return (
    `Typical day: ${d.yamlFiles.join(', ')} +${d.yamlLines} lines; ${DB} +${d.rowsInserted} rows ` +
    `(${mib(d.databaseBytesBefore)} → ${mib(d.databaseBytesAfter)}, +${d.growthPercent.toFixed(2)} %) and ${d.rowsUpdated} states rows updated at random ids; ` +
    `${d.newFile} (${mib(d.newFileBytes)} random) added`
  );
}

function environmentLine(e: Environment): string {
  return `Node ${e.node}, ${e.cpus} CPUs; ${e.restic ?? 'restic ?'}; ${e.tar ?? 'tar ?'}; ${e.python ?? 'python3 ?'}; source ${e.source ?? '?'}`;
}

function formatSpeed(r: SpeedResults): string {
  const lines = [installationLine(r.installation), dayLine(r.day), environmentLine(r.environment)];
  lines.push(
    `${r.runs} run(s), each on a fresh copy of the installation, a fresh Lifeboat data folder and a fresh restic repository; restic at nice ${NICE} like Lifeboat; wall times`,
    '',
  );
  const sz = r.sizes.median;
  const output: Partial<Record<StepKey, string>> = {
    lifeboatFirst: `backup ${mibOrDash(sz.lifeboatFirst)} (tar -czf ${mibOrDash(sz.tarFirst)})`,
    resticFirst: `repository +${mibOrDash(sz.resticFirstGrowth)}`,
    lifeboatNext: `backup ${mibOrDash(sz.lifeboatNext)} (tar -czf ${mibOrDash(sz.tarNext)})`,
    resticNext: `repository +${mibOrDash(sz.resticNextGrowth)}`,
  };
  const rows = [['step', 'tool', 'median s', 'runs (s)', 'peak RSS', 'output (median)']];
  for (const [key, s] of Object.entries(r.steps) as [StepKey, StepResult][]) {
    rows.push([s.step, s.tool, seconds(s.medianSeconds), s.runsSeconds.map((x) => x.toFixed(2)).join(' '), s.peakRssMiB === null ? '—' : `${s.peakRssMiB.toFixed(1)} MiB`, output[key] ?? '']);
  }
  lines.push(table(rows, [1, 3, 5]), '');
  lines.push(`Next backup's large-file segments taken from the first backup (runs): ${r.nextReuse.map(reuseText).join('; ')}`, '');
  const ratioRows = [['ratio', 'median', 'runs', 'reading']];
  for (const x of r.ratios) ratioRows.push([x.name, x.median === null ? '—' : x.median.toFixed(x.digits), x.runs.map((v) => v.toFixed(x.digits)).join(' '), x.goal]);
  lines.push(table(ratioRows, [2, 3]), '');
  if (r.writer) {
    const w = r.writer;
    lines.push(
      `Live writer during Lifeboat's first backup (a commit every ${WRITER_INTERVAL_MS} ms, its own transactions): longest commit ${w.maxCommitMs} ms ` +
        `(runs: ${w.runs.map((x) => x.maxCommitMs).join(' ')}), longest gap between commits ${w.maxGapMs} ms (runs: ${w.runs.map((x) => x.maxGapMs).join(' ')}), ` +
        `commits during the backup: ${w.runs.map((x) => x.commitsDuringBackup).join(' ')}`,
      '',
    );
  }
  lines.push(formatGoals(r.goals), '', formatChecks(r.checks));
  return `${lines.join('\n')}\n`;
}

function formatGoals(goals: SpeedResults['goals']): string {
  const rows = [['goal', 'value', 'target', 'result']];
  for (const g of goals) rows.push([g.name, g.value === null ? '—' : String(g.value), g.target, g.met === null ? '—' : g.met ? 'met' : 'MISSED']);
  return table(rows, [3]);
}

function formatChecks(checks: string[]): string {
  return `Correctness: every check passed.\n${checks.map((c) => `  ${c}`).join('\n')}`;
}

// ---------------------------------------------------------------------------------------------
// Memory mode

interface MemoryResults {
  mode: 'memory';
  installations: Installation[];
  environment: Environment;
  runs: number;
  /** Per installation (same order), per Lifeboat step. */
  steps: Record<'lifeboatFirst' | 'lifeboatNext' | 'lifeboatRestore', (StepResult | null)[]>;
  goals: { name: string; value: number | null; target: string; met: boolean | null }[];
  verified: true;
  checks: string[];
}

function memoryResults(bases: Base[], perBase: RunResult[][]): MemoryResults {
  const keys = ['lifeboatFirst', 'lifeboatNext', 'lifeboatRestore'] as const;
  const steps = Object.fromEntries(keys.map((k) => [k, perBase.map((runs) => stepResult(k, runs))])) as MemoryResults['steps'];
  const all = keys.flatMap((k) => steps[k].map((s) => s?.peakRssMiB ?? null)).filter((x): x is number => x !== null);
  const growth = keys.map((k) => {
    const [small, big] = steps[k].map((s) => s?.peakRssMiB ?? null);
    return small !== null && small !== undefined && big !== null && big !== undefined ? big - small : null;
  });
  const knownGrowth = growth.filter((x): x is number => x !== null);
  const peak = all.length ? Math.max(...all) : null;
  const maxGrowth = knownGrowth.length ? round(Math.max(...knownGrowth), 1) : null;
  return {
    mode: 'memory',
    installations: bases.map(installationOf),
    environment: environment(),
    runs: perBase[0]?.length ?? 0,
    steps,
    goals: [
      { name: 'Lifeboat peak RSS (MiB, any step, either installation)', value: peak, target: `≤ ${GOALS.peakRssMiB} MiB`, met: peak === null ? null : peak <= GOALS.peakRssMiB },
      { name: 'growth from the small to the large installation (MiB, worst step)', value: maxGrowth, target: `flat: ≤ ${GOALS.flatGrowthMiB} MiB`, met: maxGrowth === null ? null : maxGrowth <= GOALS.flatGrowthMiB },
    ],
    verified: true,
    checks: perBase.flatMap((runs, b) => runs.flatMap((r, i) => r.checks.map((c) => `${mib(bases[b]?.bytes ?? 0)} installation, run ${i + 1}, ${c}`))),
  };
}

function formatMemory(r: MemoryResults): string {
  const lines = r.installations.map(installationLine);
  lines.push(environmentLine(r.environment), `${r.runs} run(s) per installation; peak RSS = VmHWM of the lifeboat process (highest over the runs); times are medians`, '');
  const rows = [['Lifeboat step', ...r.installations.flatMap((i) => [`peak RSS, ${mib(i.bytes)}`, 's'])]];
  const labels = { lifeboatFirst: 'first backup', lifeboatNext: 'next backup (after the day)', lifeboatRestore: 'restore (in place, staged)' } as const;
  for (const k of ['lifeboatFirst', 'lifeboatNext', 'lifeboatRestore'] as const) {
    rows.push([labels[k], ...r.steps[k].flatMap((s) => [s?.peakRssMiB === null || s === null ? '—' : `${s.peakRssMiB.toFixed(1)} MiB`, seconds(s?.medianSeconds ?? null)])]);
  }
  lines.push(table(rows), '', formatGoals(r.goals), '', formatChecks(r.checks));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

async function benchmark(opts: Options): Promise<SpeedResults | MemoryResults> {
  mkdirSync(opts.work, { recursive: true });
  const small = await ensureBase(opts.work, { key: `db${opts.dbMib}`, dbMib: opts.dbMib, totalBytes: null }, opts.regen);
  if (opts.memoryGib === null) {
    const runs = await runAll(small, opts, { restic: true, writer: opts.writer }, '');
    return speedResults(small, runs);
  }
  const large = await ensureBase(opts.work, { key: `mem${opts.memoryGib}gib`, dbMib: MEMORY_DB_MIB, totalBytes: opts.memoryGib * GiB }, opts.regen);
  const perBase: RunResult[][] = [];
  for (const base of [small, large]) perBase.push(await runAll(base, opts, { restic: false, writer: false }, `${mib(base.bytes)} installation, `));
  return memoryResults([small, large], perBase);
}

/** The tools the benchmark needs besides the built CLI. */
function preflight(opts: Options): string | null {
  const tools = [
    ['/usr/bin/time', ['--version'], 'apt-get install time'],
    [PYTHON, ['-c', 'import nacl, cryptography'], 'apt-get install python3 python3-nacl python3-cryptography'],
  ] as const;
  const needed = opts.memoryGib === null ? [['restic', ['version'], 'apt-get install restic'] as const, ...tools] : tools;
  const missing = needed.find(([tool, args]) => !hasCommand(tool, args));
  return missing ? `${missing[0]} is missing or incomplete (${missing[2]})` : null;
}

benchMain({
  usage: USAGE,
  parse: parseOptions,
  preflight,
  run: (opts) => {
    // The installation is always given with -c; the data folder is set per run (LIFEBOAT_DATA).
    delete process.env.LIFEBOAT_CONFIG;
    delete process.env.LIFEBOAT_BACKUP_PASSWORD;
    return benchmark(opts);
  },
  format: (results) => (results.mode === 'speed' ? formatSpeed(results) : formatMemory(results)),
});
