// Reads an `strace -f -y` log of the calls that change or flush files (pwrite64, write, fchmod,
// utimensat, fsync, fdatasync, rename*): which path each was made on, in the order they began, and
// whether it succeeded. onDiskProblems() checks from it that a tree was put on disk before a point
// in the log: every file fsynced, successfully, after the last change to it, and every folder after
// the last change to it or to anything in it.

export interface FsCall {
  call: string;
  /** The descriptor's path (-y), or a rename's source. */
  path: string;
  /** A rename's target. */
  to?: string;
  /** Its result was not an error (unknown while unfinished: false). */
  ok: boolean;
}

/** strace's -e for the calls this reads. */
export const STRACE_FS_CALLS = 'trace=pwrite64,write,fchmod,utimensat,ftruncate,fsync,fdatasync,rename,renameat,renameat2';

const CHANGES = new Set(['pwrite64', 'write', 'fchmod', 'utimensat', 'ftruncate']);
const START = /^(\d+)\s+(\w+)\((.*)$/;
const RESUMED = /^(\d+)\s+<\.\.\. (\w+) resumed>.*= (-?\d+)/;
const RESULT = /\) = (-?\d+)/;
const ON_FD = /^\d+<([^>]*)>/;
const QUOTED = /"((?:[^"\\]|\\.)*)"/g;

/** The calls of the log, in the order they began. */
export function readFsCalls(log: string): FsCall[] {
  const calls: FsCall[] = [];
  const unfinished = new Map<string, FsCall>(); // by thread
  for (const line of log.split('\n')) {
    const resumed = RESUMED.exec(line);
    if (resumed) {
      const call = unfinished.get(resumed[1] as string);
      unfinished.delete(resumed[1] as string);
      if (call) call.ok = Number(resumed[3]) >= 0;
      continue;
    }
    const m = START.exec(line);
    if (!m) continue;
    const [, tid, name, rest] = m as unknown as [string, string, string, string];
    let call: FsCall;
    if (name.startsWith('rename')) {
      const [from, to] = [...rest.matchAll(QUOTED)].map((q) => q[1] as string);
      if (!from || !to) continue;
      call = { call: 'rename', path: from, to, ok: false };
    } else {
      const path = ON_FD.exec(rest)?.[1];
      if (!path) continue;
      call = { call: name, path, ok: false };
    }
    const result = RESULT.exec(rest);
    if (result) call.ok = Number(result[1]) >= 0;
    else if (rest.includes('<unfinished ...>')) unfinished.set(tid, call);
    calls.push(call);
  }
  return calls;
}

/**
 * What was not on disk when the call at `until` began: files without a successful fsync after their
 * last change, folders without one after the last change in them (fdatasync does not count).
 */
export function onDiskProblems(calls: FsCall[], until: number, files: string[], folders: string[]): string[] {
  const before = calls.slice(0, until);
  const lastChange = (test: (path: string) => boolean): number => before.findLastIndex((c) => CHANGES.has(c.call) && test(c.path));
  const syncedAfter = (path: string, at: number): boolean => before.some((c, i) => i > at && c.call === 'fsync' && c.ok && c.path === path);
  const problems: string[] = [];
  for (const file of files) {
    if (!syncedAfter(file, lastChange((p) => p === file))) problems.push(`${file}: no fsync after its last change`);
  }
  for (const folder of folders) {
    if (!syncedAfter(folder, lastChange((p) => p === folder || p.startsWith(`${folder}/`)))) problems.push(`${folder}/: no fsync after the last change in it`);
  }
  return problems;
}
