#!/usr/bin/env node
// Bundles the compiled CLI (dist/) into dist/bundle/, which bin/lifeboat runs. Node.js resolves,
// reads and compiles each ES module on its own, and every command loads a few hundred of them
// (Lifeboat's own, zod's, yaml's) before it does any work; bundled, and compiled from a code cache,
// a command starts about 0.3 s sooner and with a smaller heap. dist/bundle/ holds:
//   cli.cjs    the program (src/cli/program.ts and all it imports) as one CommonJS script, the
//              commands loaded on demand still on demand;
//   cli.cache  V8's code cache for it, made by scripts/code-cache.mjs, which runs a backup and a
//              restore with it;
//   main.cjs   the entry (src/cli/bundle-main.ts), which compiles cli.cjs with that cache;
//   the worker threads' modules, with the code they share in chunks.
// Packages are left to node_modules, except the pure-JavaScript ones every command loads
// (INLINE); the native modules and the location clients load from there as before.

import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');
const out = join(dist, 'bundle');

/** Packages compiled into the bundle: loaded by every command, plain JavaScript, no files of their own read at run time. */
const INLINE = new Set(['zod', 'yaml', 'commander', '@noble/hashes', '@noble/ciphers', '@phc/format']);

/** The package a bare import names (`@scope/name` or `name`), or null for a path or a Node.js built-in. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The worker threads' modules (the compiled `*-worker.ts` files of src/), which startWorker() finds beside the module that starts them. */
function workers(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return workers(path);
    return entry.name.endsWith('-worker.ts') ? [join(dist, relative(join(root, 'src'), path)).replace(/\.ts$/, '.js')] : [];
  });
}

/** Leaves the packages not in INLINE to node_modules. */
const packagesStay = {
  name: 'packages-stay-in-node-modules',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = packageOf(args.path);
      return name === null || INLINE.has(name) ? undefined : { path: args.path, external: true };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  // Shorter to read and compile; names are kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  plugins: [packagesStay],
  logLevel: 'warning',
};

/** The Node.js flags bin/lifeboat starts the program with unless told otherwise. */
function launcherFlags() {
  const launcher = readFileSync(join(root, 'bin', 'lifeboat'), 'utf8');
  const found = /\$\{LIFEBOAT_NODE_FLAGS-([^}]*)\}/.exec(launcher);
  if (!found) throw new Error('bin/lifeboat: its default Node.js flags (${LIFEBOAT_NODE_FLAGS-…}) were not found');
  return found[1].split(/\s+/).filter(Boolean);
}

rmSync(out, { recursive: true, force: true });
const workerEntries = workers(join(root, 'src'));
/** CommonJS output: a module's own URL (its workers and the web UI are found by it) is the script's. */
const commonJs = {
  format: 'cjs',
  define: { 'import.meta.url': 'lifeboatModuleUrl' },
  banner: { js: "const lifeboatModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
};

await build({
  ...common,
  entryPoints: workerEntries,
  outdir: out,
  // All in one folder: a module that starts a worker finds it next to itself, as dist/ has it.
  entryNames: '[name]',
  splitting: true,
  format: 'esm',
  // The inlined CommonJS packages (commander) call require() for Node.js built-ins.
  banner: { js: "import { createRequire as lifeboatRequire } from 'node:module'; const require = lifeboatRequire(import.meta.url);" },
});
await build({ ...common, ...commonJs, entryPoints: [join(dist, 'cli', 'program.js')], outfile: join(out, 'cli.cjs') });
await build({ ...common, ...commonJs, entryPoints: [join(dist, 'cli', 'bundle-main.js')], outfile: join(out, 'main.cjs') });
// cached-program.ts reads the program as Latin-1, which is exact for ASCII only (esbuild escapes the rest).
const nonAscii = readFileSync(join(out, 'cli.cjs')).findIndex((byte) => byte > 0x7f);
if (nonAscii !== -1) throw new Error(`dist/bundle/cli.cjs is not ASCII (byte ${nonAscii}): it would be misread`);
// Only the launcher's flags: V8 flags in NODE_OPTIONS would make a cache that bin/lifeboat's V8 refuses.
const { NODE_OPTIONS: _ignored, ...env } = process.env;
const cache = spawnSync(process.execPath, [...launcherFlags(), join(root, 'scripts', 'code-cache.mjs')], { env, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (cache.status !== 0) {
  process.stderr.write(cache.stderr);
  throw new Error(`scripts/code-cache.mjs failed (${cache.status ?? cache.signal})`);
}
process.stdout.write(`Bundled ${['cli/program.js', 'cli/bundle-main.js', ...workerEntries.map((p) => relative(dist, p))].join(', ')} into ${relative(root, out)}/, with a code cache\n`);
