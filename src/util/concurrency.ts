// Ordered concurrency for async pipelines: map items with up to N operations in flight while
// yielding results in input order (read-ahead without reordering).

export async function* mapOrdered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R> {
  const queue: Promise<R>[] = [];
  for await (const item of source) {
    const p = fn(item);
    p.catch(() => undefined); // observed in order below
    queue.push(p);
    if (queue.length >= concurrency) yield await (queue.shift() as Promise<R>);
  }
  while (queue.length) yield await (queue.shift() as Promise<R>);
}

/** Runs `fn` over all items with at most `limit` running at once; rejects on the first failure. */
export async function forEachLimit<T>(items: Iterable<T>, limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let failed: unknown = null;
  const worker = async () => {
    for (;;) {
      if (failed) return;
      const next = iterator.next();
      if (next.done) return;
      try {
        await fn(next.value);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
  if (failed) throw failed;
}
