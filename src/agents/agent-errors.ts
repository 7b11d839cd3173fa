// Errors of backup locations and how to tell a passing failure (network, 5xx, timeouts: worth a
// retry) from a lasting one (credentials, permissions, not found, a broken archive: fail at once).
// Each kind maps its client library's errors through `toAgentError`, so the message says which
// location failed and what to do, and the retry wrapper only has to look at the class.

import { BackupAgentError, BackupAgentUnreachableError, BackupError } from '../util/errors.js';

/** The location refused the credentials (or the account may not do this). Never retried. */
export class LocationAuthError extends BackupAgentError {
  override readonly code: string = 'location_auth_failed';
}

/** A folder location whose share is not mounted (its marker file is missing). Never retried. */
export class LocationNotMountedError extends BackupAgentError {
  override readonly code: string = 'location_not_mounted';
}

/** The stored copy differs from what was sent (size or SHA-256). Retried: the next copy may be fine. */
export class VerificationError extends BackupAgentError {
  override readonly code: string = 'upload_verification_failed';
}

/** No host key is pinned for the location: nothing (no password) is sent to an unknown server. Never retried. */
export class HostKeyUnknownError extends BackupAgentError {
  override readonly code: string = 'location_host_key_unknown';
  constructor(
    message: string,
    readonly fingerprint: string,
  ) {
    super(message);
  }
}

/** The location's host key differs from the pinned one. Never retried. */
export class HostKeyMismatchError extends BackupAgentError {
  override readonly code: string = 'location_host_key_mismatch';
}

const TRANSIENT_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** HTTP status of an error from the AWS SDK, the webdav client or fetch, if it carries one. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as { $metadata?: { httpStatusCode?: number }; status?: unknown; response?: { status?: unknown }; statusCode?: unknown };
  const candidates = [e?.$metadata?.httpStatusCode, e?.status, e?.response?.status, e?.statusCode];
  for (const c of candidates) if (typeof c === 'number' && c >= 100 && c < 600) return c;
  return undefined;
}

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let e: unknown = err;
  for (let depth = 0; e && depth < 6; depth++) {
    out.push(e);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** True for failures that another attempt may get past. */
export function isTransient(err: unknown): boolean {
  if (err instanceof BackupAgentUnreachableError || err instanceof VerificationError) return true;
  if (err instanceof BackupError) return false;
  for (const e of causes(err)) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && TRANSIENT_ERRNO.has(code)) return true;
    const status = httpStatusOf(e);
    if (status !== undefined) return status >= 500 || status === 408 || status === 429;
    const name = (e as Error).name;
    if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'SlowDown') return true;
    const message = String((e as Error).message ?? '');
    if (/timed out|timeout|socket hang up|connection lost|not connected|no response from server|closed unexpectedly/i.test(message)) return true;
  }
  return false;
}

function isAuthFailure(err: unknown): boolean {
  for (const e of causes(err)) {
    const status = httpStatusOf(e);
    if (status === 401 || status === 403) return true;
    const name = String((e as Error).name ?? '');
    if (/InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied|Forbidden/i.test(name)) return true;
    const message = String((e as Error).message ?? '');
    if (/authentication methods failed|permission denied|access denied|invalid access key|unauthori[sz]ed/i.test(message)) return true;
    if ((e as NodeJS.ErrnoException).code === 'EACCES' || (e as NodeJS.ErrnoException).code === 'EPERM') return true;
  }
  return false;
}

/** Wraps any failure of location `agentId` into a typed agent error with a message for people. */
export function toAgentError(err: unknown, agentId: string, doing: string): Error {
  if (err instanceof BackupError) return err;
  if ((err as Error)?.name === 'AbortError' || (err as Error)?.name === 'OperationAborted') return err as Error;
  const detail = String((err as Error)?.message ?? err).split('\n')[0] || String((err as Error)?.name ?? 'error');
  if (isAuthFailure(err)) {
    return new LocationAuthError(`${agentId}: access refused while ${doing} (${detail}); check the credentials and permissions of this location`, { cause: err });
  }
  if (isTransient(err)) {
    return new BackupAgentUnreachableError(`${agentId}: unreachable while ${doing} (${detail})`, { cause: err });
  }
  return new BackupAgentError(`${agentId}: failed while ${doing} (${detail})`, { cause: err });
}
