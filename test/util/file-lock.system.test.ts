// The cross-process lock file: one holder at a time across real processes, takeover of an abandoned
// lock (dead holder, reused pid, held for minutes, long empty) by one waiter only, and a clear error
// when a live holder keeps it.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LockTimeoutError, processStartTicks, withFileLock } from '../../src/util/file-lock.js';
import { runSettingsWriter } from '../helpers/settings-writer.js';
import { tmpDir } from '../helpers/tmp.js';

/** A lock file's content as a holder writes it. */
const rec = (pid: number | string, token = '0123456789abcdef') => JSON.stringify({ pid: Number(pid), token, since: new Date().toISOString() });

describe('withFileLock', () => {
  it('lets one process at a time through: no read-modify-write of two processes is lost', async () => {
    const dir = await tmpDir();
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    const codes = await Promise.all([runSettingsWriter('counter', counter, 40), runSettingsWriter('counter', counter, 40)]);
    expect(codes).toEqual([0, 0]);
    expect(await readFile(counter, 'utf8')).toBe('80');
  }, 60_000);

  it('takes over a lock whose process has died', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(lock, rec(gone.stdout));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000 })).toBe('ran');
  });

  it("takes over a lock with this process's pid that this process does not hold (a pid reused after a crash)", async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    await writeFile(lock, rec(process.pid));
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 500 })).toBe('ran');
  });

  it('takes over a lock held far longer than any change takes, even by a live process', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    await writeFile(lock, rec(1));
    const old = new Date(Date.now() - 10 * 60_000);
    await utimes(lock, old, old);
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 500, maxHoldMs: 120_000 })).toBe('ran');
    // Without a limit on holding (a long operation's lock), the same lock is waited for.
    await writeFile(lock, rec(1));
    await utimes(lock, old, old);
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100 })).rejects.toBeInstanceOf(LockTimeoutError);
  });

  it('takes over a lock whose pid now belongs to another process (another start in this boot), and only then', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const child = spawn('sleep', ['30']);
    try {
      const pid = child.pid as number;
      const ticks = processStartTicks(pid) as number;
      const record = (fields: Record<string, unknown>) => JSON.stringify({ pid, token: 'feedfacecafebeef', since: new Date().toISOString(), ...fields });
      // Written by the process that had this pid before: the live one started at another tick.
      await writeFile(lock, record({ boot, startTicks: ticks - 1 }));
      expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000 })).toBe('ran');
      // Written by this very process, or in another boot, or without start ticks: it is waited for.
      for (const fields of [{ boot, startTicks: ticks }, { boot: 'another-boot', startTicks: ticks - 1 }, {}]) {
        await writeFile(lock, record(fields));
        await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100 }), JSON.stringify(fields)).rejects.toThrow(`held by process ${pid}`);
      }
    } finally {
      child.kill();
    }
  });

  it('is not blocked by a takeover left unfinished by a crash, even one dated in the future', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(lock, rec(gone.stdout));
    await writeFile(`${lock}.takeover`, `${gone.stdout}\n`);
    const later = new Date(Date.now() + 60_000);
    await utimes(`${lock}.takeover`, later, later);
    // Not even waiting (an operation's lock): the abandoned lock is still taken over.
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 0 })).toBe('ran');
  });

  it('reads when a process started, in clock ticks since boot', () => {
    const own = processStartTicks('self') as number;
    expect(own).toBeGreaterThan(0);
    expect(processStartTicks(process.pid)).toBe(own);
    expect(processStartTicks(2 ** 22 + 12345)).toBeNull(); // no such process
  });

  it('lets one of several waiters in at a time when they find an abandoned lock together', async () => {
    for (let round = 0; round < 40; round++) {
      const dir = await tmpDir();
      const lock = join(dir, 'x.lock');
      const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      await writeFile(lock, rec(gone.stdout));
      let inside = 0;
      let most = 0;
      const work = async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 15));
        inside--;
      };
      await Promise.all([1, 2, 3, 4].map(() => withFileLock(lock, work, { timeoutMs: 5_000 })));
      expect(most, `round ${round}`).toBe(1);
    }
  }, 30_000);

  it('leaves the lock of the holder that follows alone when it finishes', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    await withFileLock(lock, async () => {
      // Someone wrongly removed this holder's lock and another holder made its own.
      await writeFile(lock, rec(1, 'fedcba9876543210'));
    });
    expect(JSON.parse(await readFile(lock, 'utf8')).token).toBe('fedcba9876543210');
  });

  it('waits for a live holder and then names it in a clear error', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    const held = rec(1); // pid 1 is always alive, and older than this lock
    await writeFile(lock, held);
    let ran = false;
    const err = await withFileLock(lock, async () => (ran = true), { timeoutMs: 150, what: 'The settings' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect((err as Error).message).toMatch(/^The settings is held by process 1; try again/);
    expect(ran).toBe(false);
    expect(await readFile(lock, 'utf8')).toBe(held); // a live holder's lock is left alone
  });

  it('treats a fresh empty lock file as held (its owner is writing its pid) and an old one as abandoned', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '');
    await expect(withFileLock(lock, async () => 'ran', { timeoutMs: 100 })).rejects.toThrow(/held by another process/);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2_000 })).toBe('ran');
  });

  it('removes its lock file when done, also when the work fails', async () => {
    const dir = await tmpDir();
    const lock = join(dir, 'x.lock');
    await expect(withFileLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await withFileLock(lock, async () => 'again', { timeoutMs: 100 })).toBe('again');
  });
});
