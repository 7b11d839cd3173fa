// The worker of BackgroundSha256: hashes the pieces it is sent, in order, hands each transfer
// buffer back for reuse, and sends the digest when told the stream has ended (a null message).

import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

const hash = createHash('sha256');
const port = parentPort;
port?.on('message', (m: { buffer: ArrayBuffer; length: number } | null) => {
  if (m === null) {
    port.postMessage({ digest: hash.digest('hex') });
    return;
  }
  hash.update(new Uint8Array(m.buffer, 0, m.length));
  port.postMessage({ ack: m.length, buffer: m.buffer }, [m.buffer]);
});
