// Bridges between async iterables and Node stream transforms, with errors and early exits
// propagated both ways (a consumer that stops reading tears the pipeline down).

import { Readable, type Duplex } from 'node:stream';

/** Runs `source` through a Node transform and yields its output. */
export async function* throughTransform(
  source: AsyncIterable<Buffer>,
  transform: Duplex,
  mapError?: (err: unknown) => unknown,
): AsyncGenerator<Buffer> {
  const input = Readable.from(source, { objectMode: false });
  input.on('error', (err) => transform.destroy(err));
  input.pipe(transform);
  try {
    for await (const chunk of transform) yield chunk as Buffer;
  } catch (err) {
    throw mapError ? mapError(err) : err;
  } finally {
    input.unpipe(transform);
    input.destroy();
    transform.destroy();
  }
}
