// Bridges between async iterables and Node stream transforms, with errors and early exits
// propagated both ways (a consumer that stops reading tears the pipeline down). The transform's
// output is taken chunk by chunk as it is pushed ('data' events with pause/resume for back
// pressure): a stream's async iterator would read everything buffered at once, joining the chunks
// into a new buffer each time.
//
// Owned chunks (owned-chunks.ts) go both ways: each input chunk is released once the transform has
// consumed it, and of the transform's output — views of buffers it fills front to back and never
// touches again once it has moved to a fresh one, as Node's zlib streams do — the last view of each
// buffer is handed over, so its consumer frees the buffer when it is done with that view.

import type { Duplex } from 'node:stream';
import { handOver, release } from './owned-chunks.js';

export interface ThroughOptions {
  /** Applied to any error before it is thrown to the consumer. */
  mapError?: (err: unknown) => unknown;
  /** Input chunks written to the transform and not consumed yet, at most, once its buffer is full (default 2). */
  ahead?: number;
}

/** Runs `source` through a Node transform and yields its output. */
export async function* throughTransform(source: AsyncIterable<Buffer>, transform: Duplex, options: ThroughOptions = {}): AsyncGenerator<Buffer> {
  const { mapError } = options;
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
  // Input is written while the transform's buffer has room, and beyond that while fewer than `ahead`
  // chunks wait to be consumed: so the next large chunk is queued (and the source already making
  // the one after) while the transform works on one. Waiting for 'drain' instead would leave the
  // transform idle each time, for as long as the source takes to make the next chunk.
  const ahead = Math.max(1, options.ahead ?? 2);
  let unconsumed = 0;
  let wakeFeed: (() => void) | null = null;
  const resumeFeed = () => {
    const w = wakeFeed;
    wakeFeed = null;
    w?.();
  };
  const fail = (err: unknown) => {
    state.failure ??= { err };
    notify();
    resumeFeed();
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

  const halted = () => stopped || state.failure !== null || transform.destroyed;
  transform.on('close', resumeFeed);
  const feed = async () => {
    try {
      for await (const chunk of source) {
        if (halted()) return;
        unconsumed++;
        const room = transform.write(chunk, (err?: Error | null) => {
          unconsumed--;
          if (!err) release(chunk);
          resumeFeed();
        });
        while (!room && unconsumed >= ahead && !halted()) await new Promise<void>((resolve) => (wakeFeed = resolve));
      }
      if (!halted()) transform.end();
    } catch (err) {
      fail(err);
      transform.destroy();
    }
  };
  void feed();

  try {
    for (;;) {
      const chunk = queue[0];
      // A chunk is the last view of its buffer once the next chunk lies elsewhere, or at the end.
      if (chunk && (queue.length > 1 || ended)) {
        queue.shift();
        queued -= chunk.length;
        if (queued < limit && transform.isPaused()) transform.resume();
        const next = queue[0];
        yield next === undefined || next.buffer !== chunk.buffer ? handOver(chunk) : chunk;
        continue;
      }
      if (state.failure) throw state.failure.err;
      if (ended) return;
      if (transform.destroyed) throw new Error('The stream closed before it ended');
      // One chunk held back to see where the next one lies: let the transform push it.
      if (transform.isPaused()) transform.resume();
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } catch (err) {
    throw mapError ? mapError(err) : err;
  } finally {
    stopped = true;
    transform.destroy();
  }
}

/** The items of each source in turn. */
export async function* concat<T>(...sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  for (const source of sources) yield* source;
}
