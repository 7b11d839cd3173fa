// Starts a worker thread from one of Lifeboat's own modules (a typed `*-worker.ts` file beside its
// caller). Built, it is the compiled `.js` file next to the caller's. Run from the TypeScript
// sources (tests, `node --import tsx`), the worker registers tsx's loader first and then imports
// the `.ts` module, the same way the rest of the program was loaded.

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The file URL of tsx's loader API as an ES module (its package's `import` export). */
function tsxApi(near: string): string {
  const manifest = createRequire(near).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports: Record<string, { import: { default: string } }> }).exports['./esm/api'];
  if (!exported) throw new Error("tsx's loader API was not found; build Lifeboat (npm run build) to run it without tsx");
  return pathToFileURL(join(dirname(manifest), exported.import.default)).href;
}

/** Starts the worker module `name` (e.g. `extract-worker`) that lies next to the module at `near` (its import.meta.url). */
export function startWorker(near: string, name: string, options: WorkerOptions = {}): Worker {
  const built = new URL(`./${name}.js`, near);
  if (existsSync(fileURLToPath(built))) return new Worker(built, options);
  const source = new URL(`./${name}.ts`, near).href;
  const tsx = tsxApi(near);
  const loader = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(source)}); })`;
  return new Worker(loader, { ...options, eval: true });
}
