// A small pool of worker threads that run jobs and answer each with one result. Jobs go to the
// worker with the fewest outstanding jobs; buffers can be transferred both ways instead of copied.
// A job that throws rejects only its own promise; a worker that dies rejects its outstanding jobs
// and is replaced for the next ones.

import { parentPort, type Transferable, type Worker } from 'node:worker_threads';

interface Request<J> {
  id: number;
  job: J;
}

type Response<R> = { id: number; result: R } | { id: number; error: string };

interface Pending<R> {
  resolve: (result: R) => void;
  reject: (err: Error) => void;
}

interface Slot<R> {
  worker: Worker;
  pending: Map<number, Pending<R>>;
}

export class WorkerPool<J, R> {
  private readonly slots: (Slot<R> | null)[];
  private nextId = 0;
  private closed = false;

  constructor(
    private readonly start: () => Worker,
    size: number,
  ) {
    this.slots = Array.from({ length: Math.max(1, size) }, () => null);
  }

  /** Runs `job` on a worker; `transfer` lists buffers to move into the worker instead of copying. */
  run(job: J, transfer: readonly Transferable[] = []): Promise<R> {
    if (this.closed) return Promise.reject(new Error('worker pool is closed'));
    const slot = this.leastBusy();
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, job } satisfies Request<J>, [...transfer]);
    });
  }

  /** Stops all workers; jobs still outstanding are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.filter((s): s is Slot<R> => s !== null);
    this.slots.fill(null);
    for (const slot of slots) failAll(slot, new Error('worker pool is closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private leastBusy(): Slot<R> {
    let best = -1;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i];
      if (!slot) {
        best = i;
        break;
      }
      if (best === -1 || slot.pending.size < (this.slots[best] as Slot<R>).pending.size) best = i;
    }
    return this.slots[best] ?? this.spawn(best);
  }

  private spawn(index: number): Slot<R> {
    const slot: Slot<R> = { worker: this.start(), pending: new Map() };
    this.slots[index] = slot;
    const retire = (err: Error) => {
      if (this.slots[index] === slot) this.slots[index] = null;
      failAll(slot, err);
    };
    slot.worker.on('message', (msg: Response<R>) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if ('error' in msg) p.reject(new Error(msg.error));
      else p.resolve(msg.result);
    });
    slot.worker.on('error', (err) => retire(err));
    slot.worker.on('exit', (code) => retire(new Error(`worker thread exited with code ${code}`)));
    return slot;
  }
}

function failAll<R>(slot: Slot<R>, err: Error): void {
  for (const p of slot.pending.values()) p.reject(err);
  slot.pending.clear();
}

type Answer<R> = { result: R; transfer?: Transferable[] };

/**
 * The worker side: answers each job with `handler`'s result (which may come later; jobs then run
 * concurrently), transferring the buffers it names. Call once from a worker module.
 */
export function serveJobs<J, R>(handler: (job: J) => Answer<R> | Promise<Answer<R>>): void {
  const port = parentPort;
  if (!port) throw new Error('serveJobs must run in a worker thread');
  port.on('message', ({ id, job }: Request<J>) => {
    const fail = (err: unknown) =>
      port.postMessage({ id, error: err instanceof Error ? err.message : String(err) } satisfies Response<R>);
    const answer = (a: Answer<R>) => port.postMessage({ id, result: a.result } satisfies Response<R>, a.transfer ?? []);
    try {
      const a = handler(job);
      if (a instanceof Promise) a.then(answer, fail);
      else answer(a);
    } catch (err) {
      fail(err);
    }
  });
}
