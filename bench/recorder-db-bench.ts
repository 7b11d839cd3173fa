// Benchmark for recorder databases in a server: Lifeboat's dump + compress + encrypt of a
// MariaDB and a PostgreSQL recorder (`lifeboat backup create` of an installation whose recorder is
// the server; the rest of the installation is a few small files) against the database's own tools
// piped into gzip (`mariadb-dump --single-transaction --quick | gzip`, `pg_dump | gzip`) on the same
// data. Prints the median wall time, output size and peak RSS of each (the RSS of the whole process
// tree: Lifeboat with the dump tool it starts; the shell pipeline with both its commands), and the
// ratios. The servers are real (Debian's mariadb-server and postgresql), started here and filled
// with a recorder-like schema.
//
//   npm run build && node --import tsx bench/recorder-db-bench.ts [--mib 256] [--runs 3]

import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { fillRecorder } from '../test/helpers/recorder-schema.js';
import type { DatabaseServer } from '../test/servers/database-server.js';
import * as mariadb from '../test/servers/mariadb.js';
import * as postgresql from '../test/servers/postgresql.js';
import { LAUNCHER, log, median, MiB, REPO, round, syncDisks, table } from './bench-lib.js';

const KEY = 'BENC-HKEY-0000-1111-2222-3333-4444';

interface Sample {
  seconds: number;
  bytes: number;
  peakKiB: number;
}

/** Pids of `root` and everything below it, from /proc. */
function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

function rssKiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Runs a command, sampling the summed RSS of its process tree every 20 ms; returns seconds and peak. */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ seconds: number; peakKiB: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let peak = 0;
    const timer = setInterval(() => {
      if (child.pid === undefined) return;
      peak = Math.max(peak, tree(child.pid).reduce((sum, pid) => sum + rssKiB(pid), 0));
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - started) / 1000;
      if (code === 0) resolve({ seconds, peakKiB: peak, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr}`));
    });
  });
}

async function lifeboatRun(server: DatabaseServer, work: string): Promise<Sample> {
  const inst = join(work, 'config');
  const data = join(work, 'data');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(inst, { recursive: true });
  mkdirSync(data, { recursive: true, mode: 0o700 });
  chmodSync(data, 0o700);
  writeFileSync(join(inst, 'configuration.yaml'), 'default_config:\nrecorder:\n  db_url: !secret db\n');
  writeFileSync(join(inst, 'secrets.yaml'), `db: "${server.url}"\n`);
  writeFileSync(join(work, 'key'), KEY, { mode: 0o600 });
  syncDisks();
  const r = await measure(LAUNCHER, ['-c', inst, '-d', data, 'backup', 'create', '--password-file', join(work, 'key')], process.env);
  const file = readdirSync(join(inst, 'backups')).find((f) => f.endsWith('.tar'));
  if (!file) throw new Error(`no backup written: ${r.stderr}`);
  return { seconds: r.seconds, peakKiB: r.peakKiB, bytes: statSync(join(inst, 'backups', file)).size };
}

async function baselineRun(server: DatabaseServer, work: string): Promise<Sample> {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out = join(work, 'dump.sql.gz');
  const dump =
    server.kind === 'mariadb'
      ? `mariadb-dump --no-defaults --host=127.0.0.1 --port=${server.port} --protocol=TCP --user=${server.user} --default-character-set=utf8mb4 --single-transaction --quick --no-tablespaces ${server.database}`
      : `pg_dump --host=127.0.0.1 --port=${server.port} --username=${server.user} --no-password --schema=public ${server.database}`;
  syncDisks();
  const env = { ...process.env, MYSQL_PWD: server.password, PGPASSWORD: server.password };
  const r = await measure('/bin/bash', ['-c', `set -o pipefail; ${dump} | gzip > ${out}`], env);
  return { seconds: r.seconds, peakKiB: r.peakKiB, bytes: statSync(out).size };
}

function summary(samples: Sample[]): Sample {
  return {
    seconds: median(samples.map((s) => s.seconds)) ?? NaN,
    bytes: median(samples.map((s) => s.bytes)) ?? NaN,
    peakKiB: Math.max(...samples.map((s) => s.peakKiB)),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, runs: { type: 'string', default: '3' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('Usage: node --import tsx bench/recorder-db-bench.ts [--mib 256] [--runs 3]\nBuild first: npm run build.\n');
    return;
  }
  const mib = Number(values.mib);
  const runs = Number(values.runs);
  const rows: string[][] = [['database', 'command', 'median s', 'output MiB', 'peak RSS MiB', 'time ×', 'size ×', 'RSS ×']];
  for (const [name, start] of [
    ['MariaDB', () => mariadb.start()],
    ['PostgreSQL', () => postgresql.start()],
  ] as const) {
    const server: DatabaseServer = await start();
    try {
      const fill = await fillRecorder(server, { mib });
      log(`${name}: ${round(fill.bytes / MiB, 0)} MiB of recorder rows`);
      const work = join(REPO, 'bench', '.work', 'recorder-db');
      const ours: Sample[] = [];
      const theirs: Sample[] = [];
      for (let i = 0; i < runs; i++) {
        theirs.push(await baselineRun(server, join(work, 'baseline')));
        ours.push(await lifeboatRun(server, join(work, 'lifeboat')));
        log(`${name} run ${i + 1}: lifeboat ${ours.at(-1)!.seconds.toFixed(2)} s, baseline ${theirs.at(-1)!.seconds.toFixed(2)} s`);
      }
      const a = summary(ours);
      const b = summary(theirs);
      const tool = server.kind === 'mariadb' ? 'mariadb-dump --single-transaction | gzip' : 'pg_dump | gzip';
      rows.push([name, 'lifeboat backup create (encrypted)', a.seconds.toFixed(2), (a.bytes / MiB).toFixed(1), (a.peakKiB / 1024).toFixed(0), round(a.seconds / b.seconds, 2).toString(), round(a.bytes / b.bytes, 3).toString(), round(a.peakKiB / b.peakKiB, 2).toString()]);
      rows.push([name, tool, b.seconds.toFixed(2), (b.bytes / MiB).toFixed(1), (b.peakKiB / 1024).toFixed(0), '1', '1', '1']);
    } finally {
      await server.stop();
    }
  }
  process.stdout.write(`${table(rows, [1])}\n`);
}

await main();
