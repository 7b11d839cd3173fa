// Argon2id for SecureTar v3 through libsodium (WebAssembly build), run in a short-lived worker
// thread. Only Argon2id needs libsodium; BLAKE2b (@noble/hashes) and the secretstream (OpenSSL's
// ChaCha20 with @noble/ciphers) run elsewhere, so the library is never loaded into the main thread.

import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const require = createRequire(import.meta.url);

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
