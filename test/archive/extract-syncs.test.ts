// The background fsyncs of a durable extraction: every descriptor handed over is synced and closed,
// however many files there are without holding more than a bounded number open; a failed fsync is
// reported (not lost) and the rest still settles; an abandoned extraction closes what waits.
import { execFileSync } from 'node:child_process';
import { constants, fstatSync, openSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackgroundSyncs } from '../../src/archive/extract-syncs.js';
import { tmpDir } from '../helpers/tmp.js';

const openDescriptors = (): number => readdirSync('/proc/self/fd').length;
const settled = (syncs: BackgroundSyncs): Promise<void> => new Promise((resolve) => syncs.settle(resolve));

function isClosed(fd: number): boolean {
  try {
    fstatSync(fd);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EBADF';
  }
}

/** A descriptor whose fsync fails (EINVAL): a named pipe's. */
async function failingDescriptor(dir: string): Promise<number> {
  const fifo = join(dir, 'pipe');
  execFileSync('mkfifo', [fifo]);
  return openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
}

describe('background fsyncs of a durable extraction', () => {
  it('syncs and closes every descriptor handed over, never holding more than a few dozen open', async () => {
    const dir = await tmpDir();
    const paths = Array.from({ length: 300 }, (_, i) => join(dir, `f${i}`));
    await Promise.all(paths.map((path, i) => writeFile(path, `file ${i}\n`)));
    const before = openDescriptors();
    const syncs = new BackgroundSyncs();
    let most = 0;
    // All handed over in one go, as a batch of small files is: no fsync can end meanwhile.
    paths.forEach((path, i) => {
      syncs.add(openSync(path, 'r+'), `f${i}`);
      most = Math.max(most, openDescriptors() - before);
    });
    await settled(syncs);
    expect(syncs.failure).toBeNull();
    expect(most).toBeLessThanOrEqual(70);
    expect(openDescriptors()).toBe(before);
  });

  it('reports the first fsync that fails with its error, and still settles the rest', async () => {
    const dir = await tmpDir();
    const syncs = new BackgroundSyncs();
    const good = join(dir, 'good.yaml');
    await writeFile(good, 'a: 1\n');
    const fds = [openSync(good, 'r+'), await failingDescriptor(dir), openSync(good, 'r')];
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

  it('closes what still waits when the extraction is abandoned, and answers whoever waits to settle', async () => {
    const dir = await tmpDir();
    const before = openDescriptors();
    const syncs = new BackgroundSyncs();
    for (let i = 0; i < 40; i++) {
      const path = join(dir, `f${i}`);
      await writeFile(path, 'x');
      syncs.add(openSync(path, 'r'), `f${i}`);
    }
    const waiting = settled(syncs);
    syncs.abandon();
    await waiting;
    // The fsyncs already running close their own descriptors when they end.
    await settled(syncs);
    expect(openDescriptors()).toBe(before);
  });
});
