// Ordered concurrency for async pipelines: map items with up to N operations in flight while
// yielding results in input order (read-ahead without reordering), and decoupling of a producer
// from its consumer by a bounded queue, so both stages of a pipeline make progress at once; and
// steps that take turns, one at a time in the order they were asked for.

/**
 * Runs async steps one at a time, each after the ones asked for before it, whether those succeeded
 * or failed: for state that a step reads, changes and saves, so no other step sees it halfway.
 */
export class Turns {
  private last: Promise<unknown> = Promise.resolve();

  run<T>(step: () => Promise<T>): Promise<T> {
    const run = this.last.then(step, step);
    this.last = run.catch(() => undefined);
    return run;
  }
}

/**
 * Maps items with up to `concurrency` operations in flight — and, with a `budget`, with at most
 * that much `weigh`t in flight (one item always runs) — yielding results in input order.
 */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  fn: (item: T) => Promise<R>,
  concurrency: number,
  limit: { weigh: (item: T) => number; budget: number } = { weigh: () => 0, budget: Infinity },
): AsyncGenerator<R> {
  const queue: { result: Promise<R>; weight: number }[] = [];
  let inFlight = 0;
  const next = async (): Promise<R> => {
    const { result, weight } = queue.shift() as (typeof queue)[number];
    inFlight -= weight;
    return result;
  };
  for await (const item of source) {
    const weight = limit.weigh(item);
    while (queue.length && (queue.length >= concurrency || inFlight + weight > limit.budget)) yield await next();
    const result = fn(item);
    result.catch(() => undefined); // observed in order below
    queue.push({ result, weight });
    inFlight += weight;
  }
  while (queue.length) yield await next();
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

/**
 * Pulls from `source` ahead of the consumer into a queue bounded by `limit` (counted by `weigh`,
 * one per item by default), so the source keeps working while the consumer is busy. Errors of the
 * source reach the consumer after the items queued before them; a consumer that stops early stops
 * the source.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  limit: number,
  weigh: (item: T) => number = () => 1,
): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let queued = 0;
  let finished = false;
  let failure: { error: unknown } | null = null;
  let stopped = false;
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const wake = (which: 'consumer' | 'producer') => {
    const fn = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = null;
    else wakeProducer = null;
    fn?.();
  };

  const pump = (async () => {
    try {
      while (!stopped) {
        if (queued >= limit) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const r = await it.next();
        if (r.done) break;
        queue.push(r.value);
        queued += weigh(r.value);
        wake('consumer');
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wake('consumer');
    }
  })();

  try {
    for (;;) {
      if (queue.length) {
        const item = queue.shift() as T;
        queued -= weigh(item);
        wake('producer');
        yield item;
        continue;
      }
      if (failure) throw (failure as { error: unknown }).error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    wake('producer');
    await pump;
    if (failure === null) await it.return?.();
  }
}

/** Runs at most `limit` tasks at once; the others wait in order. */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
