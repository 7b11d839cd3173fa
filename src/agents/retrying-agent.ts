// Retries a location's operations after passing failures (network, 5xx, timeouts, a failed
// verification) with exponential backoff and jitter, re-opening the upload stream on every attempt
// (every opening yields the same bytes). Lasting failures — credentials, not found, a broken
// archive, a stop request — fail at once. An upload that makes no progress for `stallMs` is given
// up and retried, so a server that hangs cannot hold a backup forever.

import { BackupAgentUnreachableError } from '../util/errors.js';
import type { AgentBackup } from '../archive/backup-json.js';
import type { BackupAgent, OpenStream, UploadOptions } from './agent.js';
import { isTransient } from './agent-errors.js';
import { AgentWrapper } from './agent-wrapper.js';

export interface RetryPolicy {
  /** Upload attempts in all (1 = no retry). */
  attempts: number;
  /** Attempts for list, get, download and delete. */
  readAttempts: number;
  /** Delay before the first retry; doubles each time, up to maxMs. */
  baseMs: number;
  maxMs: number;
  /** An upload whose stream is not read for this long is abandoned and retried. */
  stallMs: number;
  random?: () => number;
  /** Told about each retry (for logs). */
  onRetry?: (info: { agentId: string; attempt: number; delayMs: number; error: unknown }) => void;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, readAttempts: 2, baseMs: 2_000, maxMs: 60_000, stallMs: 120_000 };

class StalledError extends BackupAgentUnreachableError {}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The delay before retry number `attempt` (1-based): exponential, with "equal jitter". */
export function backoffDelay(policy: Pick<RetryPolicy, 'baseMs' | 'maxMs'>, attempt: number, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * random());
}

export class RetryingAgent extends AgentWrapper {
  readonly policy: RetryPolicy;

  constructor(inner: BackupAgent, policy: Partial<RetryPolicy> = {}) {
    super(inner);
    this.policy = { ...DEFAULT_RETRY, ...policy };
  }

  private async retry<T>(attempts: number, signal: AbortSignal | undefined, run: (attemptSignal: AbortSignal | undefined, attempt: number) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run(signal, attempt);
      } catch (err) {
        if (signal?.aborted || attempt >= attempts || !isTransient(err)) throw err;
        const delayMs = backoffDelay(this.policy, attempt, this.policy.random);
        this.policy.onRetry?.({ agentId: this.agentId, attempt, delayMs, error: err });
        await sleep(delayMs, signal);
      }
    }
  }

  override upload(backup: AgentBackup, open: OpenStream, opts: UploadOptions = {}): Promise<void> {
    const { stallMs } = this.policy;
    return this.retry(this.policy.attempts, opts.signal, async (outer) => {
      const controller = new AbortController();
      const onOuterAbort = () => controller.abort(outer?.reason);
      outer?.addEventListener('abort', onOuterAbort, { once: true });
      let timer: NodeJS.Timeout | null = null;
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new StalledError(`${this.agentId}: no progress for ${Math.round(stallMs / 1000)} s`)), stallMs);
      };
      const disarm = () => {
        if (timer) clearTimeout(timer);
        timer = null;
      };
      async function* watched(): AsyncGenerator<Buffer> {
        arm();
        try {
          for await (const chunk of open()) {
            arm();
            yield chunk;
          }
        } finally {
          disarm();
        }
      }
      try {
        await this.inner.upload(backup, watched, { ...opts, signal: controller.signal });
      } catch (err) {
        const reason: unknown = controller.signal.reason;
        if (reason instanceof StalledError && !outer?.aborted) throw reason;
        throw err;
      } finally {
        disarm();
        outer?.removeEventListener('abort', onOuterAbort);
      }
    });
  }

  override download(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<AsyncIterable<Buffer>> {
    return this.retry(this.policy.readAttempts, opts.signal, () => this.inner.download(backupId, opts));
  }

  override list(opts: { signal?: AbortSignal } = {}): Promise<AgentBackup[]> {
    return this.retry(this.policy.readAttempts, opts.signal, () => this.inner.list(opts));
  }

  override get(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<AgentBackup> {
    return this.retry(this.policy.readAttempts, opts.signal, () => this.inner.get(backupId, opts));
  }

  override delete(backupId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    return this.retry(this.policy.readAttempts, opts.signal, () => this.inner.delete(backupId, opts));
  }
}
