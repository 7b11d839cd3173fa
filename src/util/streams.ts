// Bridges between async iterables and Node stream transforms, with errors and early exits
// propagated both ways (a consumer that stops reading tears the pipeline down). The transform's
// output is taken chunk by chunk as it is pushed ('data' events with pause/resume for back
// pressure): a stream's async iterator would read everything buffered at once, joining the chunks
// into a new buffer each time. Optionally, input and output buffers are freed as soon as they
// are done with (see release-buffer.ts), instead of being left to the garbage collector.

import type { Duplex } from 'node:stream';
import { releaseNow, releaseOwned } from './release-buffer.js';

export interface ThroughOptions {
  /** Applied to any error before it is thrown to the consumer. */
  mapError?: (err: unknown) => unknown;
  /**
   * Free each input chunk whose ownership was passed on (passOwnership) once the transform has
   * consumed it. Only when nothing between the producer and the transform keeps the chunk.
   */
  releaseInput?: boolean;
  /**
   * The consumer is done with each output chunk when it asks for the next, and the transform
   * pushes views of output buffers that it fills front to back and never touches again once it
   * has moved to a fresh one (as Node's zlib streams do): each output buffer is then freed as soon
   * as the consumer has moved past its last chunk.
   */
  releaseOutput?: boolean;
}

/** Runs `source` through a Node transform and yields its output. */
export async function* throughTransform(
  source: AsyncIterable<Buffer>,
  transform: Duplex,
  options: ThroughOptions = {},
): AsyncGenerator<Buffer> {
  const { mapError, releaseInput = false, releaseOutput = false } = options;
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
        const consumed = releaseInput
          ? (err?: Error | null) => {
              if (!err) releaseOwned(chunk);
            }
          : undefined;
        if (!transform.write(chunk, consumed)) await writable();
      }
      if (!stopped && !transform.destroyed) transform.end();
    } catch (err) {
      fail(err);
      transform.destroy();
    }
  };
  void feed();

  // The output buffer of the chunk last handed to the consumer (with releaseOutput).
  let current: ArrayBufferLike | null = null;
  const movedTo = (next: ArrayBufferLike | null) => {
    if (current && current !== next) releaseNow(current);
    current = next;
  };
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.length;
        if (queued < limit && transform.isPaused()) transform.resume();
        if (releaseOutput) movedTo(chunk.buffer);
        yield chunk;
        continue;
      }
      if (state.failure) throw state.failure.err;
      if (ended) {
        if (releaseOutput) movedTo(null);
        return;
      }
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
