// Garbage collection on demand, for worker threads that churn through large buffers but allocate
// few JavaScript objects: V8 frees a dead buffer only when a collection runs, and such a thread
// would otherwise hold tens of MiB of dead buffers before one does.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type Gc = (options?: { type: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;

function collector(): Gc | null {
  if (gc === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as Gc;
    } catch {
      gc = null; // V8's own schedule applies
    }
  }
  return gc;
}

/** Collects after every `budget` bytes of garbage reported to it (a full collection of a small heap takes a few ms). */
export class GarbageBudget {
  private garbage = 0;

  constructor(private readonly budget: number) {}

  /** Reports `bytes` that just became garbage; collects once the budget is used up. */
  add(bytes: number): void {
    this.garbage += bytes;
    if (this.garbage < this.budget) return;
    this.garbage = 0;
    collector()?.({ type: 'major' });
  }
}
