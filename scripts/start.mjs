#!/usr/bin/env node
// `npm start`: the quickest way to look at Lifeboat. Builds it when the build is missing or older
// than the sources, creates the demo installation (`demo/config`, Lifeboat's state in `demo/data`)
// when there is none, and runs `lifeboat serve` on it with a one-time sign-in link, so the web UI
// is one click away. Arguments after `npm start --` go to `lifeboat serve` (e.g. `--port 8200`);
// LIFEBOAT_DEMO_DIR puts the demo somewhere else than `./demo`.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const lifeboat = join(root, 'bin', 'lifeboat');
const demo = process.env.LIFEBOAT_DEMO_DIR || join(root, 'demo');
const config = join(demo, 'config');
const data = join(demo, 'data');

/** The newest modification time of the files under `dir` (0 when it is missing). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write(`\n${command} ${args.join(' ')} failed${result.status === null ? ` (${result.signal})` : ''}\n`);
    process.exit(result.status ?? 1);
  }
}

// The bundle's code cache is the last file its step writes.
const built = join(root, 'dist', 'bundle', 'cli.cache');
const builtAt = existsSync(built) && existsSync(join(root, 'dist', 'web', 'index.html')) ? statSync(built).mtimeMs : 0;
const sourcesAt = Math.max(newest(join(root, 'src')), newest(join(root, 'web', 'src')), statSync(join(root, 'package.json')).mtimeMs);
if (builtAt < sourcesAt) {
  process.stdout.write(builtAt ? 'The sources changed since the last build: building Lifeboat…\n' : 'Building Lifeboat (once)…\n');
  run('npm', ['run', '--silent', 'build']);
}

if (!existsSync(config)) {
  process.stdout.write(`Creating a demo installation in ${config}…\n`);
  run(lifeboat, ['demo', 'init', config]);
}

const serve = spawn(lifeboat, ['-c', config, '-d', data, 'serve', '--sign-in-link', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => serve.kill(signal));
serve.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
