// A restore swaps in only a tree that is on disk: every file and folder it extracted has been
// fsynced before the first entry of the installation is renamed away. Watched from outside, with
// strace on a real `lifeboat restore`: which descriptors were synced (by path) before that rename.
import { execFile } from 'node:child_process';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);
const SYSCALL = /^\d+\s+(fsync|fdatasync|rename|renameat|renameat2)\((.*)$/;
/** `rename("from", "to")`, `renameat(AT_FDCWD, "from", AT_FDCWD, "to")`: the two quoted paths. */
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

/** Every file and folder below `path` (itself included), links left out. */
async function treeBelow(path: string): Promise<string[]> {
  const st = await lstat(path);
  if (st.isFile()) return [path];
  if (!st.isDirectory()) return [];
  const below = await Promise.all((await readdir(path)).map((name) => treeBelow(join(path, name))));
  return [path, ...below.flat()];
}

describe('a restore and the disk', () => {
  let inst: string;
  /** Paths fsynced before the swap began. */
  let syncedBefore: Set<string>;
  /** What the swap moved in: [staged path, installation path]. */
  let movedIn: [string, string][];

  beforeAll(async () => {
    const dir = await tmpDir();
    inst = join(dir, 'config');
    const data = join(dir, 'data');
    const init = await runCli(['demo', 'init', inst, '--db-mib', '2']);
    expect(init.code, init.stderr).toBe(0);
    const created = await runCli(['-c', inst, '-d', data, 'backup', 'create', '--password', 'durable-key', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { backup_id: string }).backup_id;

    const log = join(dir, 'strace.log');
    const cli = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts')];
    const restore = ['-c', inst, '-d', data, 'restore', id, '--password', 'durable-key', '--yes'];
    // -y prints each descriptor's path; threads (the thread pool, the extraction worker) are followed.
    await run('strace', ['-f', '-qq', '-y', '--seccomp-bpf', '-e', 'trace=fsync,fdatasync,rename,renameat,renameat2', '-o', log, ...cli, ...restore], {
      cwd: PROJECT_ROOT,
    });

    syncedBefore = new Set();
    movedIn = [];
    let swapping = false;
    for (const line of (await readFile(log, 'utf8')).split('\n')) {
      const m = SYSCALL.exec(line);
      if (!m) continue;
      const [, call, rest] = m as unknown as [string, string, string];
      if (call.startsWith('rename')) {
        const [from, to] = [...rest.matchAll(QUOTED)].map((q) => q[1] as string);
        if (!from || !to) continue;
        if (dirname(from) === inst) swapping = true; // an installation entry leaves: the swap has begun
        if (dirname(to) === inst && from.includes('/.lifeboat-restore-')) movedIn.push([from, to]);
      } else if (!swapping) {
        const path = /^\d+<([^>]*)>/.exec(rest)?.[1];
        if (path) syncedBefore.add(path);
      }
    }
  }, 180_000);

  it('has fsynced every file and folder it swaps in before the installation is touched', async () => {
    const names = movedIn.map(([, to]) => to.slice(inst.length + 1));
    expect(names).toEqual(expect.arrayContaining(['configuration.yaml', 'home-assistant_v2.db', '.storage']));
    const staged = dirname(movedIn[0]?.[0] as string);
    const expected: string[] = [staged];
    for (const [from, to] of movedIn) {
      for (const path of await treeBelow(to)) expected.push(from + path.slice(to.length));
    }
    expect(expected.length).toBeGreaterThan(20);
    const missing = expected.filter((path) => !syncedBefore.has(path));
    expect(missing).toEqual([]);
  });
});
