// A durable extraction is on disk when it resolves: every file — a hard link's too, after it was
// linked — and every folder fsynced, successfully, after the last change to it; a large file is
// written out early while it is extracted. Watched from outside, with strace on a child process.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { onDiskProblems, readFsCalls, STRACE_FS_CALLS } from '../helpers/strace-fs-calls.js';
import { tmpDir } from '../helpers/tmp.js';

const run = promisify(execFile);

describe('a durable extraction and the disk', () => {
  it('has fsynced every file, hard link and folder after its last change when it resolves', async () => {
    const dir = await tmpDir();
    const target = join(dir, 'target');
    const log = join(dir, 'strace.log');
    const child = [process.execPath, '--import', 'tsx', join(PROJECT_ROOT, 'test/helpers/durable-extract-child.ts'), target];
    await run('strace', ['-f', '-qq', '-y', '--seccomp-bpf', '-e', STRACE_FS_CALLS, '-o', log, ...child], { cwd: PROJECT_ROOT });
    const calls = readFsCalls(await readFile(log, 'utf8'));
    const resolved = calls.findIndex((c) => c.call === 'rename' && c.path === join(dir, 'marker'));
    expect(resolved).toBeGreaterThan(0);

    const at = (rel: string) => join(target, rel);
    const files = ['.storage/core.config', 'configuration.yaml', 'home-assistant_v2.db', 'custom_components/demo/sensor.py', 'custom_components/demo/sensor-link.py'].map(at);
    const folders = [target, ...['.storage', 'custom_components', 'custom_components/demo', 'www'].map(at)];
    expect(onDiskProblems(calls, resolved, files, folders)).toEqual([]);
    // The link's own fsync, made after it was linked (its target's came before).
    const link = calls.findIndex((c) => c.call === 'fsync' && c.path === at('custom_components/demo/sensor-link.py'));
    expect(link).toBeGreaterThan(0);
    expect(link).toBeLessThan(resolved);
    const earlyWrites = calls.slice(0, resolved).filter((c) => c.call === 'fdatasync' && c.path === at('home-assistant_v2.db') && c.ok);
    expect(earlyWrites.length).toBeGreaterThan(0);
  }, 60_000);
});
