// Throttled Lifeboat progress events for one step of a job (at most a few per second, plus the
// final value), so subscribers see steady progress without being flooded.

import type { LifeboatProgressEvent, ManagerEvent, ManagerState } from './events.js';

export interface StepProgress {
  set(done: number): void;
  add(bytes: number): void;
  finish(): void;
}

export function stepProgress(
  emit: (e: ManagerEvent) => void,
  managerState: ManagerState,
  step: string,
  total: number | null,
  intervalMs = 250,
): StepProgress {
  let done = 0;
  let last = -Infinity;
  const send = () => {
    const event: LifeboatProgressEvent = { lifeboat: 'progress', manager_state: managerState, step, done_bytes: done, total_bytes: total };
    emit(event);
  };
  send();
  last = performance.now();
  const maybe = () => {
    const t = performance.now();
    if (t - last >= intervalMs) {
      last = t;
      send();
    }
  };
  return {
    set(value) {
      done = value;
      maybe();
    },
    add(bytes) {
      done += bytes;
      maybe();
    },
    finish() {
      send();
    },
  };
}
