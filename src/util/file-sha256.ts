// SHA-256 of a file, read and hashed on a worker thread (file-sha256-worker.ts): nothing crosses to
// the calling thread but the digest, and the event loop is never held.

import { startWorker } from './worker-module.js';

export function fileSha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(import.meta.url, 'file-sha256-worker', {
      workerData: { path },
      resourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 16 },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`Hashing ${path} stopped (exit code ${code})`)));
  });
}
