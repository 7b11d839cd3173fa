// Benchmark for backup locations: per kind (folder, s3, sftp, webdav), the time to upload one
// backup (default 1 GiB) through Lifeboat's agent against a plain upload of the same file with the
// same client library, the ratio, the time with upload verification (read back and SHA-256), and
// the peak RSS of each. Servers are the tests' own (s3rver, OpenSSH sshd, Apache mod_dav) on
// 127.0.0.1; every measurement runs in a child process of its own so its peak RSS is its own.
//
// Uploads run the built program (dist/), as users run it.
//
//   npm run build && node --import tsx bench/locations-bench.ts --size-mib 1024 [--runs N] [--kinds s3,sftp] [--json]

import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { Upload } from '@aws-sdk/lib-storage';
import { pathToFileURL } from 'node:url';
import type { LocationConfig } from '../src/agents/location-config.js';
import type { S3Secrets, S3Settings } from '../src/agents/s3-location.js';
import type { SftpSecrets, SftpSettings } from '../src/agents/sftp-location.js';
import type { WebdavSecrets, WebdavSettings } from '../src/agents/webdav-location.js';
import * as apache from '../test/servers/apache-webdav.js';
import * as s3rver from '../test/servers/s3rver.js';
import * as sshd from '../test/servers/sshd.js';
import { CLI, log, median, MiB, PROBE, readMarker, REPO, round, runTimed, syncDisks, table, UsageError, positiveInt } from './bench-lib.js';

const KINDS = ['folder', 's3', 'sftp', 'webdav'] as const;
type Kind = (typeof KINDS)[number];
type Mode = 'plain' | 'agent' | 'verified';

interface ChildJob {
  kind: Kind;
  mode: Mode;
  file: string;
  spec: LocationConfig;
  secrets: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// Child: one measured upload

/**
 * The program a measured upload runs: the built one (dist/), as users run it. (Run from the sources,
 * its worker threads would each load the TypeScript loader first, which the built program does not.)
 */
const program = {
  registry: () => fromDist<typeof import('../src/agents/location-registry.js')>('agents/location-registry.js'),
  s3: () => fromDist<typeof import('../src/agents/s3-location.js')>('agents/s3-location.js'),
  sftp: () => fromDist<typeof import('../src/agents/sftp-location.js')>('agents/sftp-location.js'),
  webdav: () => fromDist<typeof import('../src/agents/webdav-location.js')>('agents/webdav-location.js'),
  reader: () => fromDist<typeof import('../src/archive/backup-reader.js')>('archive/backup-reader.js'),
  fanout: () => fromDist<typeof import('../src/manager/upload-fanout.js')>('manager/upload-fanout.js'),
};

function fromDist<T>(module: string): Promise<T> {
  return import(pathToFileURL(join(REPO, 'dist', module)).href) as Promise<T>;
}

async function plainUpload(job: ChildJob, name: string): Promise<{ seconds: number; cleanup: () => Promise<void> }> {
  const s = (await program.registry()).parseLocation(job.spec, job.secrets).settings;
  switch (job.kind) {
    case 'folder': {
      const dest = join(String(s.path), name);
      const t = performance.now();
      await pipeline(createReadStream(job.file, { highWaterMark: MiB }), createWriteStream(dest));
      const fh = await open(dest, 'r+');
      await fh.sync();
      await fh.close();
      return { seconds: (performance.now() - t) / 1000, cleanup: async () => rmSync(dest, { force: true }) };
    }
    case 's3': {
      const settings = s as unknown as S3Settings;
      const client = await (await program.s3()).s3Client(settings, job.secrets as unknown as S3Secrets);
      await client.config.credentials();
      const t = performance.now();
      // The library's own defaults (parts of 5 MiB, 4 in flight): the plain way to stream a file.
      await new Upload({ client, params: { Bucket: settings.bucket, Key: `${settings.prefix}${name}`, Body: createReadStream(job.file) } }).done();
      const seconds = (performance.now() - t) / 1000;
      return {
        seconds,
        cleanup: async () => {
          const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
          await client.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: `${settings.prefix}${name}` }));
          client.destroy();
        },
      };
    }
    case 'sftp': {
      const settings = s as unknown as SftpSettings;
      const { client, sftp } = await (await program.sftp()).sftpConnect(settings, job.secrets as unknown as SftpSecrets, () => true);
      await new Promise<void>((r) => sftp.mkdir(settings.path, () => r()));
      const remote = `${settings.path}/${name}`;
      const t = performance.now();
      await new Promise<void>((res, rej) => sftp.fastPut(job.file, remote, (err) => (err ? rej(err) : res())));
      const seconds = (performance.now() - t) / 1000;
      return {
        seconds,
        cleanup: async () => {
          await new Promise<void>((r) => sftp.unlink(remote, () => r()));
          client.end();
        },
      };
    }
    case 'webdav': {
      const settings = s as unknown as WebdavSettings;
      const client = await (await program.webdav()).webdavClient(settings, job.secrets as unknown as WebdavSecrets);
      const dir = String(settings.path);
      if (!(await client.exists(dir))) await client.createDirectory(dir, { recursive: true });
      const remote = `${dir}/${name}`;
      const t = performance.now();
      await client.putFileContents(remote, createReadStream(job.file, { highWaterMark: MiB }));
      const seconds = (performance.now() - t) / 1000;
      return { seconds, cleanup: async () => void (await client.deleteFile(remote)) };
    }
  }
}

async function agentUpload(job: ChildJob, verify: boolean): Promise<{ seconds: number; cleanup: () => Promise<void> }> {
  const backup = await (await program.reader()).withBackupReader(job.file, async (r) => r.backup);
  const { fileStream } = await program.fanout();
  const { agent, close } = (await program.registry()).createLocationAgent({ ...job.spec, verify }, job.secrets);
  await agent.list(); // connect (and log in) before the clock starts, as the plain upload does
  const t = performance.now();
  await agent.upload(backup, fileStream(job.file)); // the stream the manager's fan-out gives a location
  const seconds = (performance.now() - t) / 1000;
  return {
    seconds,
    cleanup: async () => {
      await agent.delete(backup.backup_id);
      await close();
    },
  };
}

async function child(): Promise<void> {
  const job = JSON.parse(process.env.LIFEBOAT_BENCH_JOB as string) as ChildJob;
  // Resident memory while the upload runs, sampled: the process's own baseline (runtime, loader,
  // client libraries) is reported apart from what the upload adds to it.
  const base = process.memoryUsage().rss;
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const run = job.mode === 'plain' ? await plainUpload(job, `plain-${process.pid}.tar`) : await agentUpload(job, job.mode === 'verified');
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  process.stdout.write(`${JSON.stringify({ seconds: run.seconds, baseMiB: base / MiB, peakMiB: peak / MiB })}\n`);
  await run.cleanup();
}

// ---------------------------------------------------------------------------------------------
// Parent: the backup, the servers, the runs, the table

async function makeBackup(work: string, sizeMib: number): Promise<string> {
  const out = join(work, `backup-${sizeMib}.tar`);
  const marker = join(work, `backup-${sizeMib}.json`);
  const m = readMarker<{ size: number }>(marker);
  if (m && existsSync(out) && statSync(out).size === m.size) return out;
  const tree = join(work, 'tree');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(join(tree, 'media'), { recursive: true });
  writeFileSync(join(tree, '.HA_VERSION'), '2026.7.3');
  writeFileSync(join(tree, 'configuration.yaml'), 'homeassistant:\n  name: Bench\n');
  // Camera recordings: incompressible, so the backup is about as large as the tree.
  const key = createHash('sha256').update('locations-bench').digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const files = Math.max(1, Math.round(sizeMib / 128));
  const perFile = Math.floor((sizeMib * MiB) / files);
  for (let i = 0; i < files; i++) {
    const zeros = Buffer.alloc(MiB);
    const parts: Buffer[] = [];
    for (let done = 0; done < perFile; done += MiB) parts.push(cipher.update(zeros.subarray(0, Math.min(MiB, perFile - done))));
    writeFileSync(join(tree, 'media', `recording-${i}.mp4`), Buffer.concat(parts));
  }
  log(`Packing a ${sizeMib} MiB backup with lifeboat archive pack …`);
  rmSync(out, { force: true });
  await runTimed(process.execPath, [CLI, 'archive', 'pack', tree, out, '--level', '1']);
  rmSync(tree, { recursive: true, force: true });
  writeFileSync(marker, JSON.stringify({ size: statSync(out).size }));
  return out;
}

interface Target {
  kind: Kind;
  spec: LocationConfig;
  secrets: Record<string, string>;
  stop: () => Promise<void>;
}

async function startTarget(kind: Kind, work: string): Promise<Target> {
  const spec = (settings: Record<string, unknown>): LocationConfig => ({ id: `${kind}.bench`, kind, name: 'bench', settings, bandwidth_limit: null, verify: false });
  switch (kind) {
    case 'folder': {
      const dir = join(work, 'folder-location');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, '.lifeboat-location'), '{}\n');
      return { kind, spec: spec({ path: dir }), secrets: {}, stop: async () => rmSync(dir, { recursive: true, force: true }) };
    }
    case 's3': {
      const s = await s3rver.start();
      return { kind, spec: spec({ endpoint: s.endpoint, bucket: s.bucket, path_style: true, prefix: 'bench/' }), secrets: { access_key_id: s.accessKeyId, secret_access_key: s.secretAccessKey }, stop: () => s.stop() };
    }
    case 'sftp': {
      const s = await sshd.start();
      return {
        kind,
        spec: spec({ host: s.host, port: s.port, username: s.username, path: s.path, host_key_sha256: s.hostKeyFingerprint }),
        secrets: { private_key: s.privateKey },
        stop: () => s.stop(),
      };
    }
    case 'webdav': {
      const s = await apache.start();
      return { kind, spec: spec({ url: s.url, path: '/bench', username: s.username }), secrets: { password: s.password }, stop: () => s.stop() };
    }
  }
}

interface Measured {
  seconds: number;
  /** The process's peak RSS (its memory high-water mark, see rss-probe.mjs), loader and all. */
  maxRssMiB: number | null;
  /** RSS just before the upload, and its peak during the upload. */
  baseMiB: number;
  peakMiB: number;
}

async function measure(target: Target, mode: Mode, file: string, rssFile: string): Promise<Measured> {
  rmSync(rssFile, { force: true });
  syncDisks();
  const job: ChildJob = { kind: target.kind, mode, file, spec: target.spec, secrets: target.secrets };
  const out = await new Promise<string>((resolvePromise, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--import', PROBE, join(REPO, 'bench/locations-bench.ts'), '--child'], {
      env: { ...process.env, LIFEBOAT_BENCH_JOB: JSON.stringify(job), LIFEBOAT_RSS_FILE: rssFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    c.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    c.on('close', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`${target.kind} ${mode} failed (exit ${code}):\n${stderr}`))));
  });
  const { seconds, baseMiB, peakMiB } = JSON.parse(out.trim().split('\n').pop() as string) as { seconds: number; baseMiB: number; peakMiB: number };
  const rss = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim()) : NaN;
  return { seconds, maxRssMiB: Number.isFinite(rss) ? rss / 1024 : null, baseMiB, peakMiB };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'size-mib': { type: 'string' },
      runs: { type: 'string' },
      kinds: { type: 'string' },
      work: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write('npm run build && node --import tsx bench/locations-bench.ts [--size-mib 1024] [--runs 3] [--kinds folder,s3,sftp,webdav] [--work DIR] [--json]\n');
    return;
  }
  if (!existsSync(CLI)) throw new UsageError('dist/ is missing: run npm run build first');
  const sizeMib = positiveInt('--size-mib', values['size-mib'], 1024, 16);
  const runs = positiveInt('--runs', values.runs, 3, 1);
  const kinds = (values.kinds?.split(',') ?? [...KINDS]) as Kind[];
  for (const k of kinds) if (!KINDS.includes(k)) throw new UsageError(`unknown kind ${k}`);
  const work = resolve(values.work ?? join(REPO, 'bench', '.work', 'locations'));
  mkdirSync(work, { recursive: true });
  const file = await makeBackup(work, sizeMib);
  const size = statSync(file).size;
  log(`Backup: ${(size / MiB).toFixed(0)} MiB; ${runs} run(s) per measurement`);

  interface Row {
    kind: Kind;
    seconds: Record<Mode, number>;
    /** Peak RSS during the upload, and how much the upload added to the process's baseline. */
    peak: Record<Mode, number>;
    growth: Record<Mode, number>;
    maxRss: number | null;
  }
  const rows: Row[] = [];
  const MODES: Mode[] = ['plain', 'agent', 'verified'];
  for (const kind of kinds) {
    let target: Target;
    try {
      target = await startTarget(kind, work);
    } catch (err) {
      log(`${kind}: skipped (${(err as Error).message})`);
      continue;
    }
    try {
      const all: Record<Mode, Measured[]> = { plain: [], agent: [], verified: [] };
      // One untimed upload first (server start-up, caches, the first writeback), then the modes in
      // alternating order, so that drift on a shared machine does not favour whichever runs first.
      await measure(target, 'plain', file, join(work, 'rss.txt'));
      for (let r = 0; r < runs; r++) {
        for (const mode of r % 2 === 0 ? MODES : [...MODES].reverse()) {
          const m = await measure(target, mode, file, join(work, 'rss.txt'));
          all[mode].push(m);
          log(`${kind} ${mode}: ${m.seconds.toFixed(2)} s, RSS ${m.baseMiB.toFixed(0)} → peak ${m.peakMiB.toFixed(0)} MiB during the upload (process max ${m.maxRssMiB?.toFixed(0) ?? '?'} MiB)`);
        }
      }
      const by = <T>(f: (m: Measured[]) => T) => Object.fromEntries(MODES.map((mode) => [mode, f(all[mode])])) as Record<Mode, T>;
      rows.push({
        kind,
        seconds: by((ms) => median(ms.map((m) => m.seconds)) as number),
        peak: by((ms) => Math.max(...ms.map((m) => m.peakMiB))),
        growth: by((ms) => Math.max(...ms.map((m) => m.peakMiB - m.baseMiB))),
        maxRss: Math.max(...MODES.flatMap((mode) => all[mode].map((m) => m.maxRssMiB ?? 0))),
      });
    } finally {
      await target.stop();
    }
  }

  const mbps = (s: number) => (size / 1e6 / s).toFixed(0);
  const mem = (r: Row, mode: Mode) => `${r.peak[mode].toFixed(0)} (+${Math.max(0, r.growth[mode]).toFixed(0)})`;
  const text = table(
    [
      ['kind', 'plain upload', 'Lifeboat agent', 'ratio', 'agent + verify', 'RSS MiB plain', 'RSS MiB agent', 'RSS MiB agent+verify'],
      ...rows.map((r) => [
        r.kind,
        `${r.seconds.plain.toFixed(2)} s (${mbps(r.seconds.plain)} MB/s)`,
        `${r.seconds.agent.toFixed(2)} s (${mbps(r.seconds.agent)} MB/s)`,
        round(r.seconds.plain / r.seconds.agent, 2).toFixed(2),
        `${r.seconds.verified.toFixed(2)} s`,
        mem(r, 'plain'),
        mem(r, 'agent'),
        mem(r, 'verified'),
      ]),
    ],
    [],
  );
  if (values.json) {
    process.stderr.write(`${text}\n`);
    process.stdout.write(`${JSON.stringify({ size_bytes: size, runs, rows }, null, 2)}\n`);
  } else {
    process.stdout.write(`Upload of a ${(size / MiB).toFixed(0)} MiB backup, median of ${runs} run(s); ratio ≥ 0.9 is the target\n${text}\n`);
  }
}

if (process.argv.includes('--child')) {
  child().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    process.stderr.write(`locations-bench: ${(err as Error).message}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  });
}
