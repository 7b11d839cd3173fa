// Bridges between async iterables and Node stream transforms, with errors and early exits
// propagated both ways (a consumer that stops reading tears the pipeline down). The transform's
// output is taken chunk by chunk as it is pushed ('data' events with pause/resume for back
// pressure): a stream's async iterator would read everything buffered at once, joining the chunks
// into a new buffer each time.

import type { Duplex } from 'node:stream';

/** Runs `source` through a Node transform and yields its output. */
export async function* throughTransform(
  source: AsyncIterable<Buffer>,
  transform: Duplex,
  mapError?: (err: unknown) => unknown,
): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  const limit = Math.max(1, transform.readableHighWaterMark);
  let queued = 0;
  let ended = false;
  let stopped = false;
  const state: { failure: { err: unknown } | null } = { failure: null };
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const fail = (err: unknown) => {
    state.failure ??= { err };
    notify();
  };
  transform.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= limit) transform.pause();
    notify();
  });
  transform.on('end', () => {
    ended = true;
    notify();
  });
  transform.on('error', fail);
  transform.on('close', notify);

  const writable = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        transform.off('drain', done);
        transform.off('close', done);
        resolve();
      };
      transform.on('drain', done);
      transform.on('close', done);
    });
  const feed = async () => {
    try {
      for await (const chunk of source) {
        if (stopped || state.failure || transform.destroyed) return;
        if (!transform.write(chunk)) await writable();
      }
      if (!stopped && !transform.destroyed) transform.end();
    } catch (err) {
      fail(err);
      transform.destroy();
    }
  };
  void feed();

  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.length;
        if (queued < limit && transform.isPaused()) transform.resume();
        yield chunk;
        continue;
      }
      if (state.failure) throw state.failure.err;
      if (ended) return;
      if (transform.destroyed) throw new Error('The stream closed before it ended');
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (err) {
    throw mapError ? mapError(err) : err;
  } finally {
    stopped = true;
    transform.destroy();
  }
}
