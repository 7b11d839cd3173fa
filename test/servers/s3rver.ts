// An S3-compatible server for tests: s3rver 3.7.1 started through its Node API in a child
// process (so it can be killed like a real server, and its memory is not the test's) on
// 127.0.0.1, with one bucket. Credentials S3RVER/S3RVER, path-style addressing.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitForExit } from './net-helpers.js';

const MAIN = fileURLToPath(new URL('./s3rver-main.mjs', import.meta.url));

export interface S3Server {
  endpoint: string;
  port: number;
  bucket: string;
  dir: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** SIGKILL: the server dies mid-request. */
  kill(): Promise<void>;
  /** Starts it again on the same port and folder. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function launch(port: number, dir: string, bucket: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, String(port), dir, bucket], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve(child);
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
  });
}

export async function start(opts: { bucket?: string } = {}): Promise<S3Server> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeboat-s3rver-'));
  const port = await freePort();
  const bucket = opts.bucket ?? 'lifeboat';
  let child: ChildProcess | null = await launch(port, dir, bucket);
  const end = async (signal: NodeJS.Signals) => {
    const c = child;
    child = null;
    if (!c?.pid) return;
    c.kill(signal);
    await waitForExit(c.pid);
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    dir,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGKILL');
      child = await launch(port, dir, bucket);
    },
    stop: () => end('SIGTERM'),
  };
}
