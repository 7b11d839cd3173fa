// The queue of copies to retry is changed by `serve` and by CLI commands in other processes: a
// change starts from the file as saved, so one process's entries survive another's changes, and a
// re-read during a change in the same process brings nothing back.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UploadQueue } from '../../src/manager/upload-queue.js';
import { tmpDir } from '../helpers/tmp.js';

const now = new Date('2026-03-01T12:00:00Z');
/** Two queues on one file, as `serve` and a CLI command hold it. */
async function twoProcesses(): Promise<{ path: string; one: UploadQueue; two: UploadQueue }> {
  const path = join(await tmpDir('lifeboat-queue-'), 'upload-queue.json');
  return { path, one: await UploadQueue.load(path), two: await UploadQueue.load(path) };
}
const ids = (q: UploadQueue) => q.list().map((e) => `${e.backup_id}>${e.agent_id}`).sort();

describe('UploadQueue', () => {
  it("keeps another process's entries when it records a failure or removes an entry", async () => {
    const { path, one: serve, two: cli } = await twoProcesses();
    await serve.failed('a1', 's3.bucket', false, 'timeout', now);
    await cli.failed('b2', 'sftp.nas', false, 'refused', now);
    await serve.failed('c3', 's3.bucket', false, 'timeout', now);
    await serve.remove('a1');
    const fresh = await UploadQueue.load(path);
    expect(ids(fresh)).toEqual(['b2>sftp.nas', 'c3>s3.bucket']);
    expect(ids(serve)).toEqual(['b2>sftp.nas', 'c3>s3.bucket']);
  });

  it('counts attempts from the file, whichever process failed last', async () => {
    const { path, one, two } = await twoProcesses();
    await one.failed('a1', 's3.bucket', false, 'first', now);
    await two.failed('a1', 's3.bucket', false, 'second', now);
    const [entry] = (await UploadQueue.load(path)).list();
    expect(entry?.attempts).toBe(2);
    expect(entry?.last_error).toBe('second');
  });

  it('never brings a removed entry back when the file is re-read during the change', async () => {
    const path = join(await tmpDir('lifeboat-queue-'), 'upload-queue.json');
    const queue = await UploadQueue.load(path);
    for (let round = 0; round < 10; round++) {
      await queue.failed(`b${round}`, 's3.bucket', false, 'timeout', now);
      await Promise.all([queue.reload(), queue.remove(`b${round}`), queue.reload()]);
      expect(queue.list()).toEqual([]);
      expect((await UploadQueue.load(path)).list()).toEqual([]);
    }
  });
});
