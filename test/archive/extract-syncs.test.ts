// The background fsyncs of a durable extraction: every descriptor handed over is synced and closed,
// however many files there are without holding more than a bounded number open; a failed fsync or
// early datasync is reported (not lost) and the rest still settles; a file being written out early is
// not closed while a datasync of it runs; an abandoned extraction closes what waits and says that it
// is not on disk.
import { execFileSync } from 'node:child_process';
import { constants, fstatSync, openSync, readdirSync, readlinkSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackgroundSyncs } from '../../src/archive/extract-syncs.js';
import { tmpDir } from '../helpers/tmp.js';

/** Descriptors of this process open on something in `dir` (others, of other tests' threads, are not counted). */
function openIn(dir: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(`${dir}/`)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

const settled = (syncs: BackgroundSyncs): Promise<void> => new Promise((resolve) => syncs.settle(resolve));

function isClosed(fd: number): boolean {
  try {
    fstatSync(fd);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EBADF';
  }
}

/** A descriptor whose fsync and fdatasync fail (EINVAL): a named pipe's. */
function failingDescriptor(dir: string): number {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  return openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
}

async function files(dir: string, count: number): Promise<string[]> {
  const paths = Array.from({ length: count }, (_, i) => join(dir, `f${i}`));
  await Promise.all(paths.map((path, i) => writeFile(path, `file ${i}\n`)));
  return paths;
}

describe('background fsyncs of a durable extraction', () => {
  it('syncs and closes every descriptor handed over, never holding more than a few dozen open', async () => {
    const dir = await tmpDir();
    const paths = await files(dir, 300);
    const syncs = new BackgroundSyncs();
    let most = 0;
    // All handed over in one go, as a batch of small files is: no fsync can end meanwhile.
    paths.forEach((path, i) => {
      syncs.add(openSync(path, 'r+'), `f${i}`);
      most = Math.max(most, openIn(dir));
    });
    await settled(syncs);
    expect(syncs.failure).toBeNull();
    expect(most).toBeLessThanOrEqual(70);
    expect(openIn(dir)).toBe(0);
  });

  it('reports the first fsync that fails with its error, and still settles the rest', async () => {
    const dir = await tmpDir();
    const syncs = new BackgroundSyncs();
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'a: 1\n');
    const fds = [openSync(good, 'r+'), failingDescriptor(dir), openSync(good, 'r')];
    syncs.add(fds[0] as number, 'good.yaml');
    syncs.add(fds[1] as number, 'pipe');
    syncs.add(fds[2] as number, 'good.yaml');
    await settled(syncs);
    expect(syncs.failure?.rel).toBe('pipe');
    expect(syncs.failure?.error.code).toBe('EINVAL');
    expect(fds.every(isClosed)).toBe(true);
  });

  it('settles at once when nothing was handed over', async () => {
    await expect(settled(new BackgroundSyncs())).resolves.toBeUndefined();
  });

  it('keeps a file written out early open until its datasync ends, and reports the datasync failing', async () => {
    const dir = await tmpDir();
    const syncs = new BackgroundSyncs();
    const fd = failingDescriptor(dir);
    syncs.writeOut(fd, 'home-assistant_v2.db');
    syncs.add(fd, 'home-assistant_v2.db'); // finished while its datasync may still run
    expect(isClosed(fd)).toBe(false);
    await settled(syncs);
    expect(syncs.failure?.rel).toBe('home-assistant_v2.db');
    expect(syncs.failure?.error.code).toBe('EINVAL');
    expect(isClosed(fd)).toBe(true);
  });

  it('closes a file abandoned half-written only once its datasync has ended', async () => {
    const dir = await tmpDir();
    const [path] = await files(dir, 1);
    const syncs = new BackgroundSyncs();
    const fd = openSync(path as string, 'r+');
    syncs.writeOut(fd, 'f0');
    syncs.close(fd);
    expect(isClosed(fd)).toBe(false);
    await settled(syncs);
    expect(syncs.failure).toBeNull();
    expect(isClosed(fd)).toBe(true);
  });

  it('closes what still waits when the extraction is abandoned, and answers whoever waits to settle with a failure', async () => {
    const dir = await tmpDir();
    const paths = await files(dir, 40);
    const syncs = new BackgroundSyncs();
    const fds = paths.map((path, i) => {
      const fd = openSync(path, 'r');
      syncs.add(fd, `f${i}`);
      return fd;
    });
    let answered = false;
    syncs.settle(() => (answered = true));
    syncs.abandon();
    // At once: the waiting ones are closed, the two being synced are not (they close when done).
    expect(fds.filter(isClosed)).toHaveLength(38);
    expect(answered).toBe(true);
    expect(syncs.failure?.error.code).toBe('ECANCELED');
    await settled(syncs);
    expect(openIn(dir)).toBe(0);
  });
});
