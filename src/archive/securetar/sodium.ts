// Loads libsodium (WebAssembly build) through its CommonJS entry, once, for Argon2id, BLAKE2b and
// the XChaCha20-Poly1305 secretstream that SecureTar v3 needs.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export type Sodium = typeof import('libsodium-wrappers-sumo');

const require = createRequire(import.meta.url);
let loading: Promise<Sodium> | null = null;
let loaded: Sodium | null = null;

export function loadSodium(): Promise<Sodium> {
  loading ??= (async () => {
    const sodium = require('libsodium-wrappers-sumo') as Sodium;
    await sodium.ready;
    loaded = sodium;
    return sodium;
  })();
  return loading;
}

const ARGON2_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const sodium = require(workerData.sodiumPath);
sodium.ready.then(() => {
  const key = sodium.crypto_pwhash(32, workerData.password, workerData.salt, workerData.ops, workerData.mem,
    sodium.crypto_pwhash_ALG_ARGON2ID13);
  parentPort.postMessage(key);
});
`;

/**
 * Argon2id (libsodium crypto_pwhash, ARGON2ID13) in a short-lived worker thread: its 16 MiB of
 * WebAssembly memory is returned to the system when the worker ends, instead of staying resident
 * in this process for the rest of its life.
 */
export function argon2idInWorker(password: Uint8Array, salt: Uint8Array, ops: number, mem: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(ARGON2_WORKER, {
      eval: true,
      workerData: { sodiumPath: require.resolve('libsodium-wrappers-sumo'), password, salt, ops, mem },
    });
    worker.once('message', (key: Uint8Array) => {
      resolve(Buffer.from(key));
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`Argon2id worker exited with code ${code}`));
    });
  });
}

/** The loaded library; only valid after `loadSodium()` has resolved. */
export function sodiumSync(): Sodium {
  if (!loaded) throw new Error('libsodium used before loadSodium() resolved');
  return loaded;
}
