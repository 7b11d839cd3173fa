// How fast deflate alone can go on this machine: libdeflate at Lifeboat's level over one file (by
// default the speed benchmark's recorder database), cut into pieces as Lifeboat cuts them, with one
// call in flight and with as many as Lifeboat lets run at once, and nothing else to do. A first
// backup of that file (nothing to reuse from an earlier one) cannot be faster than this; set beside
// another tool's time for a whole backup (--versus-seconds), it says how much of that time deflate
// alone already takes.
//
//   UV_THREADPOOL_SIZE=8 node --import tsx bench/deflate-floor-bench.ts [--versus-seconds S]

import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchMain, KiB, log, median, mib, positiveInt, REPO, round, table, UsageError } from './bench-lib.js';
import { compressionTurns, libdeflate } from '../src/archive/libdeflate.js';

const LEVEL = 6;
const DEFAULT_FILE = join(REPO, 'bench', '.work', 'speed', 'base', 'db256', 'home-assistant_v2.db');

interface Options {
  file: string;
  pieceKib: number[];
  runs: number;
  versusSeconds: number | null;
  json: boolean;
}

interface Row {
  pieceKib: number;
  inFlight: number;
  wallSeconds: number;
  cpuSeconds: number;
  outputBytes: number;
}

interface Results {
  file: string;
  inputBytes: number;
  threadPool: string;
  versusSeconds: number | null;
  rows: Row[];
}

const USAGE = `Usage: UV_THREADPOOL_SIZE=8 node --import tsx bench/deflate-floor-bench.ts [options]

Compresses one file with libdeflate at level ${LEVEL} in pieces, as Lifeboat does, with one call in
flight and with as many as Lifeboat allows (two more than there are cores, at most the thread
pool's size less two), and prints the wall and CPU time of each (medians). Nothing else runs, so no
first backup of that file can be faster. Run it through UV_THREADPOOL_SIZE=8, as bin/lifeboat runs
Lifeboat: with libuv's default of 4 threads, fewer calls are in flight.

Options:
  --file F             the file (default: the speed benchmark's recorder database,
                       ${DEFAULT_FILE}; run bench/speed-bench.ts once to make it)
  --piece-kib N[,N]    piece sizes in KiB (default 64,256; Lifeboat cuts 64)
  --runs N             runs of each; the median is reported (default 3)
  --versus-seconds S   another tool's time for a whole backup, to set each time beside
  --json               print the results as JSON on stdout (the table goes to stderr)
  -h, --help           show this help
`;

function parse(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      'piece-kib': { type: 'string' },
      runs: { type: 'string' },
      'versus-seconds': { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return null;
  const pieceKib = (values['piece-kib'] ?? '64,256').split(',').map((p) => positiveInt('--piece-kib', p, 64, 1));
  const versus = values['versus-seconds'] === undefined ? null : Number(values['versus-seconds']);
  if (versus !== null && !(versus > 0)) throw new UsageError('--versus-seconds must be a positive number of seconds');
  return { file: values.file ?? DEFAULT_FILE, pieceKib, runs: positiveInt('--runs', values.runs, 3, 1), versusSeconds: versus, json: values.json };
}

/** Compresses `data` in pieces of `piece` bytes with `inFlight` calls at once; wall and CPU seconds. */
async function compressAll(data: Buffer, piece: number, inFlight: number): Promise<Omit<Row, 'pieceKib' | 'inFlight'>> {
  const engine = libdeflate();
  if (!engine) throw new Error('libdeflate cannot be loaded (Debian: apt-get install libdeflate0)');
  let next = 0;
  let outputBytes = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      const out = new Uint8Array(piece + 4 * KiB);
      while (next < data.length) {
        const at = next;
        next += piece;
        const written = await engine.compress(LEVEL, data.subarray(at, at + piece), out);
        if (written === 0) throw new Error('a piece did not fit its output buffer');
        outputBytes += written;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { wallSeconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6, outputBytes };
}

async function run(opts: Options): Promise<Results> {
  const data = readFileSync(opts.file);
  log(`${opts.file}: ${mib(data.length)}`);
  if (process.env.UV_THREADPOOL_SIZE === undefined) log(`UV_THREADPOOL_SIZE is not set: ${compressionTurns()} calls in flight, not as many as Lifeboat has`);
  const rows: Row[] = [];
  for (const pieceKib of opts.pieceKib) {
    for (const inFlight of [1, compressionTurns()]) {
      const samples: Omit<Row, 'pieceKib' | 'inFlight'>[] = [];
      for (let i = 0; i < opts.runs; i++) samples.push(await compressAll(data, pieceKib * KiB, inFlight));
      const row = {
        pieceKib,
        inFlight,
        wallSeconds: median(samples.map((s) => s.wallSeconds)) ?? 0,
        cpuSeconds: median(samples.map((s) => s.cpuSeconds)) ?? 0,
        outputBytes: samples[0]?.outputBytes ?? 0,
      };
      log(`  ${pieceKib} KiB pieces, ${inFlight} in flight: ${samples.map((s) => s.wallSeconds.toFixed(2)).join(' ')} s`);
      rows.push(row);
    }
  }
  return { file: opts.file, inputBytes: statSync(opts.file).size, threadPool: process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default)', versusSeconds: opts.versusSeconds, rows };
}

function format(r: Results): string {
  const versus = r.versusSeconds;
  const head = ['pieces', 'calls in flight', 'wall s', 'CPU s', 'output', ...(versus ? [`wall / ${versus} s`] : [])];
  const rows = r.rows.map((row) => [
    `${row.pieceKib} KiB`,
    String(row.inFlight),
    row.wallSeconds.toFixed(2),
    row.cpuSeconds.toFixed(2),
    mib(row.outputBytes),
    ...(versus ? [String(round(row.wallSeconds / versus, 2))] : []),
  ]);
  return `libdeflate level ${LEVEL} over ${mib(r.inputBytes)} (${r.file}), UV_THREADPOOL_SIZE ${r.threadPool}; medians\n\n${table([head, ...rows], [0])}\n`;
}

benchMain({ usage: USAGE, parse, preflight: (o) => (statSync(o.file, { throwIfNoEntry: false }) ? null : `${o.file} is missing: run bench/speed-bench.ts once, or give --file`), run, format });
