// Starts a worker thread from a module next to the caller. The built output runs the `.js` module
// as is; when the TypeScript sources run directly (tests), the module and what it imports are
// bundled into one script with esbuild (which tsx brings) — far lighter in memory than loading
// TypeScript in the worker.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The URL of module `name` beside the module at `callerUrl`, with the caller's extension. */
export function siblingModule(callerUrl: string, name: string): URL {
  const extension = callerUrl.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${extension}`, callerUrl);
}

const bundles = new Map<string, string>();

function bundle(moduleUrl: URL): string {
  let code = bundles.get(moduleUrl.href);
  if (code === undefined) {
    const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const result = esbuild.buildSync({
      entryPoints: [fileURLToPath(moduleUrl)],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      write: false,
      define: { 'import.meta.url': JSON.stringify(moduleUrl.href) },
      logLevel: 'silent',
    });
    code = (result.outputFiles[0] as { text: string }).text;
    bundles.set(moduleUrl.href, code);
  }
  return code;
}

export function startModuleWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  return new Worker(bundle(moduleUrl), { ...options, eval: true });
}
