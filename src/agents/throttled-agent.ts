// A bandwidth limit for one location: upload and download streams are paced to at most
// `bytesPerSecond` on average (a token bucket with one second of burst), so a backup to a slow
// uplink does not starve the rest of the house.

import type { AgentBackup } from '../archive/backup-json.js';
import type { BackupAgent, OpenStream, UploadOptions } from './agent.js';
import { AgentWrapper } from './agent-wrapper.js';

/** Elapsed time for pacing: a monotonic clock in milliseconds and a way to wait. */
export interface Pace {
  now(): number;
  sleep(ms: number): Promise<void>;
}

const realPace: Pace = { now: () => performance.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/** Yields `source` no faster than `bytesPerSecond` (chunks are split so pauses stay short). */
export async function* paced(source: AsyncIterable<Buffer>, bytesPerSecond: number, pace: Pace = realPace): AsyncGenerator<Buffer> {
  const now = () => pace.now();
  const slice = Math.max(1024, Math.floor(bytesPerSecond / 10));
  let tokens = bytesPerSecond;
  let last = now();
  for await (const chunk of source) {
    for (let off = 0; off < chunk.length; off += slice) {
      const piece = chunk.subarray(off, Math.min(chunk.length, off + slice));
      const t = now();
      tokens = Math.min(bytesPerSecond, tokens + ((t - last) / 1000) * bytesPerSecond);
      last = t;
      if (tokens < piece.length) {
        const waitMs = ((piece.length - tokens) / bytesPerSecond) * 1000;
        await pace.sleep(waitMs);
        const after = now();
        tokens = Math.min(bytesPerSecond, tokens + ((after - last) / 1000) * bytesPerSecond);
        last = after;
      }
      tokens -= piece.length;
      yield piece;
    }
  }
}

export class ThrottledAgent extends AgentWrapper {
  constructor(
    inner: BackupAgent,
    readonly bytesPerSecond: number,
  ) {
    super(inner);
  }

  override upload(backup: AgentBackup, open: OpenStream, opts?: UploadOptions): Promise<void> {
    return this.inner.upload(backup, () => paced(open(), this.bytesPerSecond), opts);
  }

  override async download(backupId: string, opts?: { signal?: AbortSignal }): Promise<AsyncIterable<Buffer>> {
    return paced(await this.inner.download(backupId, opts), this.bytesPerSecond);
  }
}
