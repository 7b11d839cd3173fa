// A restore swaps in only a tree that is on disk: every file and folder it extracted has been
// fsynced, successfully, after its last change and before the first entry of the installation is
// renamed away. Watched from outside, with strace on a real `lifeboat restore` (its database large
// enough to be written out early, while it is extracted).
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { onDiskProblems, readFsCalls, STRACE_FS_CALLS, type FsCall } from '../helpers/strace-fs-calls.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

const run = promisify(execFile);

describe('a restore and the disk', () => {
  let inst: string;
  let calls: FsCall[];
  /** Where the swap began: the first installation entry renamed away. */
  let swap: number;

  beforeAll(async () => {
    const dir = await tmpDir();
    inst = join(dir, 'config');
    const data = join(dir, 'data');
    const init = await runCli(['demo', 'init', inst, '--db-mib', '17']);
    expect(init.code, init.stderr).toBe(0);
    const created = await runCli(['-c', inst, '-d', data, 'backup', 'create', '--password', 'durable-key', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const id = (JSON.parse(created.stdout) as { backup_id: string }).backup_id;

    const log = join(dir, 'strace.log');
    const cli = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'src/cli/main.ts')];
    const restore = ['-c', inst, '-d', data, 'restore', id, '--password', 'durable-key', '--yes'];
    // -y prints each descriptor's path; threads (the thread pool, the extraction worker) are followed.
    await run('strace', ['-f', '-qq', '-y', '--seccomp-bpf', '-e', STRACE_FS_CALLS, '-o', log, ...cli, ...restore], { cwd: PROJECT_ROOT });
    calls = readFsCalls(await readFile(log, 'utf8'));
    swap = calls.findIndex((c) => c.call === 'rename' && dirname(c.path) === inst);
  }, 180_000);

  it('has fsynced every file and folder it swaps in after its last change, before the installation is touched', async () => {
    expect(swap).toBeGreaterThan(0);
    // What the swap moved in: [staged path, installation path].
    const movedIn = calls.filter((c) => c.call === 'rename' && c.to && dirname(c.to) === inst && c.path.includes('/.lifeboat-restore-'));
    expect(movedIn.map((c) => (c.to as string).slice(inst.length + 1))).toEqual(expect.arrayContaining(['configuration.yaml', 'home-assistant_v2.db', '.storage']));
    // What was swapped in, as it lay in the staging folder.
    const staging = dirname(movedIn[0]?.path as string);
    const names = new Set(movedIn.map((c) => (c.to as string).slice(inst.length + 1)));
    const tree = Object.entries(await describeTree(inst)).filter(([rel]) => names.has(rel.split('/')[0] as string));
    const files = tree.filter(([, n]) => n.type === 'file').map(([rel]) => join(staging, rel));
    const folders = [staging, ...tree.filter(([, n]) => n.type === 'dir').map(([rel]) => join(staging, rel))];
    expect(files.length).toBeGreaterThan(10);
    expect(folders.length).toBeGreaterThan(3);
    // The database was written out early too (it is larger than the stretch between datasyncs).
    expect(calls.slice(0, swap).some((c) => c.call === 'fdatasync' && c.path.endsWith('/home-assistant_v2.db'))).toBe(true);
    expect(onDiskProblems(calls, swap, files, folders)).toEqual([]);
  });
});
