// An asynchronous clean-up that runs once however often it is called (a stream's end, its early
// stop and an explicit close all call it), and never rejects.

export function onceAsync(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | null = null;
  return () => (done ??= fn().catch(() => undefined));
}
