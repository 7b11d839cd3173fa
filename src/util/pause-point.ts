// Pause points for race tests: a test registers a callback under a point's name, and the code
// waits for it right there — so the test can change the file system at the exact moment another
// process could (swap a folder for a link between two entries, a file for a link between the walk's
// look and its read). In-process only; with nothing registered a pause point costs a Map lookup.

type PauseHook = (detail: string) => void | Promise<void>;

const hooks = new Map<string, PauseHook>();

/** What to await at the point `name` (undefined, and so no wait at all, when no test listens). */
export function pausePoint(name: string, detail: string): Promise<void> | undefined {
  const hook = hooks.get(name);
  return hook ? Promise.resolve(hook(detail)) : undefined;
}

/** Whether a test listens at the point `name` (to prepare only then, e.g. drain queued work). */
export function pauseArmed(name: string): boolean {
  return hooks.has(name);
}

/** Registers `hook` at the point `name`; returns the function that removes it. */
export function onPausePoint(name: string, hook: PauseHook): () => void {
  hooks.set(name, hook);
  return () => {
    if (hooks.get(name) === hook) hooks.delete(name);
  };
}
