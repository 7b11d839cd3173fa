// Benchmark for `lifeboat archive pack` / `unpack` against GNU tar + gzip and tar | pigz on a
// generated, installation-like tree. Prints median wall times, throughput, speed ratios against
// the targets, output sizes and the CLI's peak RSS (or the same as JSON), and checks once that
// an unpacked backup reproduces the tree byte for byte.
//
//   npm run build && node --import tsx bench/archive-bench.ts --size-mib 300

import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  benchMain,
  CLI,
  COMMON_OPTIONS,
  type CommonOptions,
  commonOptions,
  compareManifests,
  fresh,
  hasCommand,
  KiB,
  log,
  type Manifest,
  manifestOf,
  median,
  mib,
  MiB,
  positiveInt,
  readMarker,
  round,
  runLifeboat,
  runTimed,
  syncDisks,
  table,
  VerifyError,
} from './bench-lib.js';
import {
  automationBlock,
  Clock,
  type Entity,
  ENTITIES,
  entityRegistryItem,
  jsLine,
  PLATFORMS,
  pyLine,
  randomSource,
  restoreStateItem,
  Rng,
  ROOMS,
  stateOf,
  svgLine,
  textSource,
  writeChunked,
  z2mLogLine,
} from './generated-content.js';

const GENERATOR_VERSION = 1; // bump when the tree's shape changes, so old trees are regenerated
const HA_VERSION = '2026.7.3';
const PASSWORD = 'bench-key';
const LEVEL = 6;

const TARGETS = { packVsTarGz: 2.0, packVsPigz: 1.0, unpackVsTarGz: 1.0, peakRssMiB: 100 } as const;

// ---------------------------------------------------------------------------------------------
// Options

interface Options extends CommonOptions {
  sizeMib: number;
  runs: number;
}

const USAGE = `Usage: node --import tsx bench/archive-bench.ts [options]

Times lifeboat archive pack/unpack (SecureTar v3, level ${LEVEL}) against tar -czf, tar | pigz -p 2
and tar -xzf on a generated installation-like tree. Build first: npm run build.

Options:
  --size-mib N   size of the generated tree in MiB (default 300)
  --runs N       timed runs per operation; the median is reported (default 3)
  --work DIR     work folder for the tree and outputs (default bench/.work)
  --regen        regenerate the tree even if a matching one exists
  --json         print the results as JSON on stdout (the table goes to stderr)
  --keep         keep the last outputs (backup, .tgz files, unpacked folders) in WORK/out
  -h, --help     show this help
`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'size-mib': { type: 'string' },
      runs: { type: 'string' },
      ...COMMON_OPTIONS,
    },
  });
  if (values.help) return null;
  return {
    sizeMib: positiveInt('--size-mib', values['size-mib'], 300, 16),
    runs: positiveInt('--runs', values.runs, 3, 1),
    ...commonOptions(values, '.work'),
  };
}

// ---------------------------------------------------------------------------------------------
// A fake SQLite database: 4 KiB pages holding packed `states` rows (state text, timestamps,
// ids, a 16-byte ULID context id) plus every fifth page of shared attribute JSON, 50–90 % full.

const PAGE = 4096;

function writeStateRow(page: Buffer, end: number, rng: Rng, clock: Clock, rowid: number): number {
  const index = rng.int(0, ENTITIES.length - 1);
  const e = ENTITIES[index] as Entity;
  const state = stateOf(rng, e.kind);
  const size = 2 + 4 + 1 + state.length + 8 + 4 + 4 + 2 + 16;
  let p = end - size;
  const start = p;
  page.writeUInt16BE(size, p);
  page.writeUInt32BE(rowid, (p += 2));
  page.writeUInt8(state.length, (p += 4));
  page.write(state, (p += 1), 'latin1');
  page.writeDoubleLE(clock.tick(rng, 3000) / 1000, (p += state.length));
  page.writeUInt32BE(Math.max(0, rowid - rng.int(1, 400)), (p += 8));
  page.writeUInt32BE(rng.int(1, 300), (p += 4));
  page.writeUInt16BE(index + 1, (p += 4));
  p += 2;
  page.writeUIntBE(Math.floor(clock.ms), p, 6);
  for (let i = 6; i < 16; i++) page[p + i] = rng.int(0, 255);
  return start;
}

function writeAttributesRow(page: Buffer, end: number, rng: Rng): number {
  const e = rng.pick(ENTITIES);
  const unit = e.kind.unit ? `"unit_of_measurement":"${e.kind.unit}",` : '';
  const json = Buffer.from(`{"state_class":"measurement",${unit}"device_class":"${e.kind.cls}","friendly_name":"${e.name}"}`);
  const start = end - json.length - 2;
  page.writeUInt16BE(json.length, start);
  json.copy(page, start + 2);
  return start;
}

class FakeSqlite {
  private pageNo = 0;
  private rowid = 1;
  private readonly clock = new Clock();

  constructor(private readonly rng: Rng) {}

  /** Whole pages covering at least `want` bytes. */
  chunk(want: number): Buffer {
    const pages = Math.ceil(want / PAGE);
    const buf = Buffer.alloc(pages * PAGE);
    for (let i = 0; i < pages; i++) this.fillPage(buf.subarray(i * PAGE, (i + 1) * PAGE));
    return buf;
  }

  private fillPage(page: Buffer): void {
    let head = 0;
    if (this.pageNo++ === 0) {
      page.write('SQLite format 3\0', 0, 'latin1');
      page.writeUInt16BE(PAGE, 16);
      head = 100;
    }
    const attributes = this.pageNo % 5 === 0;
    page[head] = 0x0d; // leaf table b-tree page
    const used = PAGE * (0.5 + this.rng.next() * 0.4);
    let end = PAGE;
    let cells = 0;
    let ptr = head + 8;
    while (PAGE - end < used && end - ptr > 200) {
      end = attributes ? writeAttributesRow(page, end, this.rng) : writeStateRow(page, end, this.rng, this.clock, this.rowid++);
      page.writeUInt16BE(end, ptr);
      ptr += 2;
      cells++;
    }
    page.writeUInt16BE(cells, head + 3);
    page.writeUInt16BE(end, head + 5);
  }
}

// ---------------------------------------------------------------------------------------------
// The tree

interface TreeStats {
  files: number;
  bytes: number;
  compressibleBytes: number;
}

interface Marker extends TreeStats {
  generator: number;
  sizeMib: number;
}

class TreeBuilder {
  readonly stats: TreeStats = { files: 0, bytes: 0, compressibleBytes: 0 };
  private readonly rng = new Rng(0x11feb0a7);

  constructor(private readonly root: string) {}

  private count(size: number, compressible: boolean): void {
    this.stats.files++;
    this.stats.bytes += size;
    if (compressible) this.stats.compressibleBytes += size;
  }

  text(rel: string, size: number, nextLine: () => string, head = ''): void {
    writeChunked(join(this.root, rel), size, textSource(nextLine, head));
    this.count(size, true);
  }

  binary(rel: string, size: number, next: (want: number) => Buffer, compressible: boolean): void {
    writeChunked(join(this.root, rel), size, next);
    this.count(size, compressible);
  }

  /** Fixed small files that identify an installation. */
  identity(): void {
    const files: [string, string][] = [
      ['.HA_VERSION', HA_VERSION],
      ['.storage/core.uuid', `{"version":1,"minor_version":1,"key":"core.uuid","data":{"uuid":"${this.rng.hex(32)}"}}\n`],
      ['configuration.yaml', 'default_config:\n\nautomation: !include automations.yaml\nscript: !include scripts.yaml\nscene: !include scenes.yaml\n'],
      ['secrets.yaml', `mqtt_password: "${this.rng.hex(24)}"\n`],
    ];
    for (const [rel, content] of files) {
      mkdirSync(dirname(join(this.root, rel)), { recursive: true });
      writeFileSync(join(this.root, rel), content);
      this.count(Buffer.byteLength(content), true);
    }
  }

  /** A few thousand 1–20 KiB files in nested folders (about `budget` bytes). */
  smallFiles(budget: number): void {
    const rng = this.rng;
    const components = Array.from({ length: 40 }, (_, i) => `${rng.pick(PLATFORMS)}_${rng.pick(['bridge', 'cloud', 'local', 'plus', 'ble'])}_${i}`);
    const cards = Array.from({ length: 25 }, (_, i) => `${rng.pick(['mushroom', 'mini-graph', 'button', 'apex', 'bubble'])}-card-${i}`);
    const groups: { dir: () => string; exts: readonly string[] }[] = [
      { dir: () => `custom_components/${rng.pick(components)}/${rng.pick(['', 'translations/', 'services/', 'lib/core/'])}`, exts: ['py', 'py', 'py', 'json', 'yaml'] },
      { dir: () => `www/community/${rng.pick(cards)}/${rng.pick(['', 'dist/', 'dist/assets/'])}`, exts: ['js', 'js', 'png', 'svg'] },
      { dir: () => `.storage/${rng.pick(['', 'lovelace/', 'trace/'])}`, exts: ['json'] },
      { dir: () => `blueprints/automation/${rng.pick(['homeassistant', 'frenck', 'epmatt', 'community'])}/`, exts: ['yaml'] },
      { dir: () => `esphome/${rng.pick(ROOMS)}/`, exts: ['yaml', 'yaml', 'json'] },
      { dir: () => `www/icons/${rng.pick(['24', '48', '96', '192'])}/`, exts: ['png'] },
    ];
    const lineFor: Record<string, () => string> = {
      py: () => pyLine(rng),
      js: () => jsLine(rng),
      svg: () => svgLine(rng),
      json: () => entityRegistryItem(rng),
      yaml: () => automationBlock(rng),
    };
    const count = Math.max(50, Math.min(4000, Math.round(budget / (10.5 * KiB))));
    for (let i = 0; i < count; i++) {
      const group = rng.pick(groups);
      const ext = rng.pick(group.exts);
      const rel = `${group.dir()}file_${String(i).padStart(4, '0')}.${ext}`;
      const size = rng.int(1 * KiB, 20 * KiB);
      const line = lineFor[ext];
      if (line) this.text(rel, size, line);
      else this.binary(rel, size, randomSource, false);
    }
  }

  /** Database, registries, automations and logs: about `budget` bytes of compressible content. */
  compressible(budget: number): void {
    const rng = this.rng;
    const clock = new Clock();
    const share = (f: number): number => Math.floor(budget * f);
    const db = new FakeSqlite(rng);
    this.binary('home-assistant_v2.db', share(0.55), (want) => db.chunk(want), true);
    this.text('.storage/core.restore_state', share(0.1), () => restoreStateItem(rng, clock), '{\n  "version": 1,\n  "minor_version": 1,\n  "key": "core.restore_state",\n  "data": [\n');
    this.text('.storage/core.entity_registry', share(0.07), () => entityRegistryItem(rng), '{\n  "version": 1,\n  "minor_version": 16,\n  "key": "core.entity_registry",\n  "data": {\n    "entities": [\n');
    this.text('automations.yaml', share(0.08), () => automationBlock(rng));
    const logs = budget - share(0.55) - share(0.1) - share(0.07) - share(0.08);
    const days = 6;
    for (let d = 0; d < days; d++) {
      const size = d === days - 1 ? logs - Math.floor(logs / days) * (days - 1) : Math.floor(logs / days);
      this.text(`zigbee2mqtt/log/2026-07-0${d + 1}_00-00-00/log.txt`, size, () => z2mLogLine(rng, clock));
    }
  }

  /** Camera snapshots and recordings: about `budget` bytes of random data. */
  media(budget: number): void {
    const rng = this.rng;
    const spend = (total: number, min: number, max: number, name: (i: number) => string): void => {
      let left = total;
      for (let i = 0; left > 0; i++) {
        const size = left < min * 2 ? left : Math.min(left, rng.int(min, max));
        this.binary(name(i), size, randomSource, false);
        left -= size;
      }
    };
    const snapshots = Math.floor(budget * 0.35);
    const cams = ['front_door', 'driveway', 'garden', 'garage'];
    spend(snapshots, 256 * KiB, 3 * MiB, (i) => `www/snapshots/${cams[i % cams.length] ?? 'cam'}_${String(i).padStart(3, '0')}.jpg`);
    spend(budget - snapshots, 8 * MiB, 32 * MiB, (i) => `media/recordings/${cams[i % cams.length] ?? 'cam'}/clip_${String(i).padStart(3, '0')}.mp4`);
  }
}

/** Builds the tree: ~10 % small files, the rest split so that about half of all bytes compress. */
function generateTree(root: string, sizeMib: number): TreeStats {
  const total = sizeMib * MiB;
  const builder = new TreeBuilder(root);
  builder.identity();
  builder.smallFiles(Math.floor(total * 0.1));
  const s = builder.stats;
  const half = Math.floor(total / 2);
  const incompressibleSoFar = s.bytes - s.compressibleBytes;
  builder.compressible(Math.max(0, half - s.compressibleBytes));
  builder.media(Math.max(0, total - half - incompressibleSoFar));
  return builder.stats;
}

/** Reuses WORK/tree when its marker matches, otherwise (or with --regen) generates it afresh. */
function ensureTree(opts: Options): { root: string; stats: TreeStats; reused: boolean } {
  const root = join(opts.work, 'tree');
  const markerPath = join(opts.work, 'tree.marker.json');
  const marker = readMarker<Marker>(markerPath);
  if (!opts.regen && marker && marker.generator === GENERATOR_VERSION && marker.sizeMib === opts.sizeMib && existsSync(root)) {
    return { root, stats: marker, reused: true };
  }
  rmSync(markerPath, { force: true });
  rmSync(root, { recursive: true, force: true });
  log(`Generating a ${opts.sizeMib} MiB tree in ${root} …`);
  const started = performance.now();
  const stats = generateTree(root, opts.sizeMib);
  const next: Marker = { generator: GENERATOR_VERSION, sizeMib: opts.sizeMib, ...stats };
  writeFileSync(markerPath, `${JSON.stringify(next, null, 2)}\n`);
  log(`  ${stats.files} files, ${(stats.bytes / MiB).toFixed(1)} MiB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { root, stats, reused: false };
}

// ---------------------------------------------------------------------------------------------
// The benchmark

type OpKey = 'lifeboatPack' | 'tarCzf' | 'tarPigz' | 'lifeboatUnpack' | 'tarXzf';

const OP_LABELS: Record<OpKey, string> = {
  lifeboatPack: `lifeboat archive pack (v3, level ${LEVEL})`,
  tarCzf: 'tar -czf',
  tarPigz: 'tar -cf - | pigz -p 2',
  lifeboatUnpack: 'lifeboat archive unpack',
  tarXzf: 'tar -xzf',
};

interface OpSamples {
  seconds: number[];
  rssKiB: number[];
  outputBytes: number | null;
}

interface Paths {
  tree: string;
  out: string;
  backup: string;
  tgz: string;
  pigzTgz: string;
  unpackLifeboat: string;
  unpackTar: string;
  rss: string;
}

function pathsFor(work: string, tree: string): Paths {
  const out = join(work, 'out');
  return {
    tree,
    out,
    backup: join(out, 'backup.tar'),
    tgz: join(out, 'tree.tar.gz'),
    pigzTgz: join(out, 'tree-pigz.tgz'),
    unpackLifeboat: join(out, 'unpack-lifeboat'),
    unpackTar: join(out, 'unpack-tar'),
    rss: join(out, 'rss.txt'),
  };
}

function record(samples: OpSamples, seconds: number, rssKiB: number | null = null): void {
  samples.seconds.push(seconds);
  if (rssKiB !== null) samples.rssKiB.push(rssKiB);
}

async function oneRun(p: Paths, s: Record<OpKey, OpSamples>, pigz: boolean, verify: Manifest | null): Promise<void> {
  fresh(p.backup);
  const pack = await runLifeboat(['archive', 'pack', p.tree, p.backup, '--password', PASSWORD, '--level', String(LEVEL)], p.rss);
  record(s.lifeboatPack, pack.seconds, pack.rssKiB);
  s.lifeboatPack.outputBytes = statSync(p.backup).size;

  fresh(p.tgz);
  record(s.tarCzf, (await runTimed('tar', ['-czf', p.tgz, '-C', p.tree, '.'])).seconds);
  s.tarCzf.outputBytes = statSync(p.tgz).size;

  if (pigz) {
    fresh(p.pigzTgz);
    const script = `set -o pipefail; tar -cf - -C "$1" . | pigz -p 2 -${LEVEL} > "$2"`;
    record(s.tarPigz, (await runTimed('bash', ['-c', script, 'bench', p.tree, p.pigzTgz])).seconds);
    s.tarPigz.outputBytes = statSync(p.pigzTgz).size;
  }

  fresh(p.unpackLifeboat);
  const unpack = await runLifeboat(['archive', 'unpack', p.backup, p.unpackLifeboat, '--password', PASSWORD], p.rss);
  record(s.lifeboatUnpack, unpack.seconds, unpack.rssKiB);
  if (verify) verifyUnpacked(verify, join(p.unpackLifeboat, 'homeassistant', 'data'));

  rmSync(p.unpackTar, { recursive: true, force: true });
  mkdirSync(p.unpackTar, { recursive: true });
  syncDisks();
  record(s.tarXzf, (await runTimed('tar', ['-xzf', p.tgz, '-C', p.unpackTar])).seconds);
}

function verifyUnpacked(expected: Manifest, dataDir: string): void {
  if (!existsSync(dataDir)) throw new VerifyError(`lifeboat unpack produced no ${dataDir}`);
  const problems = compareManifests(expected, manifestOf(dataDir));
  if (problems.length) {
    const shown = problems.slice(0, 20).map((x) => `  - ${x}`);
    if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more`);
    throw new VerifyError(`the unpacked backup does not match the tree (${dataDir}):\n${shown.join('\n')}`);
  }
  log(`  verified: ${expected.files.size} files, ${expected.bytes} bytes, sha256 of every file matches`);
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
  skipped?: string;
}

interface Ratio {
  name: string;
  value: number | null;
  target: string;
  ok: boolean | null;
  note?: string;
}

interface Results {
  tree: { path: string; bytes: number; files: number; compressibleShare: number; reused: boolean };
  runs: number;
  environment: { node: string; cpus: number; tar: string | null; pigz: string | null };
  verified: boolean;
  operations: Record<OpKey, OpResult>;
  ratios: Ratio[];
}

function opResult(key: OpKey, samples: OpSamples, treeBytes: number, skipped?: string): OpResult {
  const med = median(samples.seconds);
  return {
    label: OP_LABELS[key],
    runsSeconds: samples.seconds.map((x) => round(x, 3)),
    medianSeconds: med === null ? null : round(med, 3),
    mbPerSecond: med ? round(treeBytes / 1e6 / med, 1) : null,
    outputBytes: samples.outputBytes,
    peakRssMiB: samples.rssKiB.length ? round(Math.max(...samples.rssKiB) / 1024, 1) : null,
    ...(skipped ? { skipped } : {}),
  };
}

function speedRatio(name: string, baseline: OpResult, lifeboat: OpResult, target: number): Ratio {
  if (baseline.medianSeconds === null || lifeboat.medianSeconds === null) {
    return { name, value: null, target: `≥ ${target.toFixed(2)}×`, ok: null, note: baseline.skipped ?? 'not measured' };
  }
  const value = round(baseline.medianSeconds / lifeboat.medianSeconds, 3);
  return { name, value, target: `≥ ${target.toFixed(2)}×`, ok: value >= target };
}

function rssRatio(name: string, op: OpResult): Ratio {
  const v = op.peakRssMiB;
  return { name, value: v, target: `≤ ${TARGETS.peakRssMiB} MiB`, ok: v === null ? null : v <= TARGETS.peakRssMiB, ...(v === null ? { note: 'not recorded' } : {}) };
}

function ratiosOf(ops: Record<OpKey, OpResult>): Ratio[] {
  return [
    speedRatio('pack vs tar -czf (tar time / lifeboat time)', ops.tarCzf, ops.lifeboatPack, TARGETS.packVsTarGz),
    speedRatio('pack vs tar | pigz -p 2', ops.tarPigz, ops.lifeboatPack, TARGETS.packVsPigz),
    speedRatio('unpack vs tar -xzf', ops.tarXzf, ops.lifeboatUnpack, TARGETS.unpackVsTarGz),
    rssRatio('peak RSS, lifeboat pack', ops.lifeboatPack),
    rssRatio('peak RSS, lifeboat unpack', ops.lifeboatUnpack),
  ];
}

function formatResults(r: Results): string {
  const t = r.tree;
  const lines = [
    `Tree: ${mib(t.bytes)} in ${t.files} files, ${((t.compressibleShare) * 100).toFixed(0)} % compressible (${t.path}${t.reused ? ', reused' : ''})`,
    `Node ${r.environment.node}, ${r.environment.cpus} CPUs; ${r.environment.tar ?? 'tar ?'}; ${r.environment.pigz ?? 'pigz NOT INSTALLED'}`,
    `${r.runs} run(s) per operation, median wall time; MB/s = tree bytes / 10^6 / median seconds`,
    '',
  ];
  const opRows = [['operation', 'median s', 'MB/s', 'runs (s)', 'output', 'out/tree', 'peak RSS']];
  for (const op of Object.values(r.operations)) {
    if (op.skipped) {
      opRows.push([op.label, '—', '—', `skipped: ${op.skipped}`, '', '', '']);
      continue;
    }
    opRows.push([
      op.label,
      op.medianSeconds?.toFixed(2) ?? '—',
      op.mbPerSecond?.toFixed(1) ?? '—',
      op.runsSeconds.map((s) => s.toFixed(2)).join(' '),
      op.outputBytes !== null ? mib(op.outputBytes) : '',
      op.outputBytes !== null ? `${((op.outputBytes / t.bytes) * 100).toFixed(1)} %` : '',
      op.peakRssMiB !== null ? `${op.peakRssMiB.toFixed(1)} MiB` : '',
    ]);
  }
  lines.push(table(opRows), '');
  const ratioRows = [['target check', 'value', 'target', 'result']];
  for (const x of r.ratios) {
    const value = x.value === null ? '—' : x.name.startsWith('peak RSS') ? `${x.value.toFixed(1)} MiB` : `${x.value.toFixed(2)}×`;
    ratioRows.push([x.name, value, x.target, x.ok === null ? `n/a (${x.note ?? ''})` : x.ok ? 'ok' : 'MISSED']);
  }
  lines.push(table(ratioRows, [3]), '', r.verified ? 'Correctness: lifeboat unpack reproduced every file (sha256).' : 'Correctness: NOT VERIFIED');
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------

async function benchmark(opts: Options): Promise<Results> {
  mkdirSync(opts.work, { recursive: true });
  const tree = ensureTree(opts);
  if (tree.reused) log(`Reusing ${tree.root} (${tree.stats.files} files, ${mib(tree.stats.bytes)}); --regen to rebuild`);
  // Warm-up: read (and hash) every file once, untimed, so every row sees a warm page cache.
  // (`tar -cf /dev/null` would not do: GNU tar notices /dev/null and skips reading file data.)
  log('Warm-up read of the tree …');
  const source = manifestOf(tree.root);
  const pigzVersion = hasCommand('pigz');
  if (!pigzVersion) log('NOTE: pigz is not installed (apt-get install pigz); the tar | pigz -p 2 row is skipped.');

  const p = pathsFor(opts.work, tree.root);
  rmSync(p.out, { recursive: true, force: true });
  mkdirSync(p.out, { recursive: true });
  const keys: OpKey[] = ['lifeboatPack', 'tarCzf', 'tarPigz', 'lifeboatUnpack', 'tarXzf'];
  const empty = (): OpSamples => ({ seconds: [], rssKiB: [], outputBytes: null });
  const samples: Record<OpKey, OpSamples> = {
    lifeboatPack: empty(),
    tarCzf: empty(),
    tarPigz: empty(),
    lifeboatUnpack: empty(),
    tarXzf: empty(),
  };
  try {
    for (let run = 0; run < opts.runs; run++) {
      log(`Run ${run + 1}/${opts.runs} …`);
      await oneRun(p, samples, pigzVersion !== null, run === 0 ? source : null);
      log(`  ${keys.filter((k) => samples[k].seconds.length > run).map((k) => `${OP_LABELS[k]} ${(samples[k].seconds[run] ?? 0).toFixed(2)} s`).join(', ')}`);
      if (run < opts.runs - 1) {
        rmSync(p.unpackLifeboat, { recursive: true, force: true });
        rmSync(p.unpackTar, { recursive: true, force: true });
      }
    }
  } finally {
    if (!opts.keep) rmSync(p.out, { recursive: true, force: true });
  }

  const bytes = source.bytes;
  const operations = Object.fromEntries(
    keys.map((k) => [k, opResult(k, samples[k], bytes, k === 'tarPigz' && !pigzVersion ? 'pigz not installed' : undefined)]),
  ) as Record<OpKey, OpResult>;
  return {
    tree: { path: tree.root, bytes, files: source.files.size, compressibleShare: tree.stats.compressibleBytes / tree.stats.bytes, reused: tree.reused },
    runs: opts.runs,
    environment: { node: process.version, cpus: cpus().length, tar: hasCommand('tar'), pigz: pigzVersion },
    verified: true,
    operations,
    ratios: ratiosOf(operations),
  };
}

benchMain({ usage: USAGE, parse: parseOptions, run: benchmark, format: formatResults });
