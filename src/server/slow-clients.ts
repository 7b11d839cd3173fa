// Clients that send too slowly must not hold the server: while a request body arrives, a pause
// longer than the idle timeout closes the connection, and an uploaded backup — which holds the
// operation lock while it is received — must also keep up a minimum rate. A stalled upload fails
// with 408, which lets the receive job remove its partial file and release the lock, so the next
// backup runs. (Headers have their own timeout: Node's headersTimeout, set by the server.)

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './api-errors.js';

export interface UploadPace {
  /** The longest wait for the next bytes, ms. */
  idleMs: number;
  /** The least average rate, bytes per second, over each idleMs of waiting for the client. */
  minBytesPerSecond: number;
}

/** The client stopped sending, or sends too slowly. */
export class UploadStalled extends ApiError {
  constructor(message: string) {
    super('upload_stalled', message, 408);
  }
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * While the request's body arrives, a pause of `idleMs` closes the connection (the socket's own
 * inactivity timer, whose expiry Node answers by destroying the socket). Cleared once the body is
 * complete, so a long answer (a backup made while the client waits) is not cut short. A request
 * answered before its body arrived (a refusal) keeps the limit: Node then reads the rest of the body
 * before it reuses the connection, and would otherwise wait for it as long as keep-alive allows.
 */
export function closeIdleBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  if (!hasBody(req) || req.complete) return;
  const socket = req.socket;
  socket.setTimeout(idleMs);
  req.once('end', () => {
    if (!res.writableFinished && !socket.destroyed) socket.setTimeout(0);
  });
  // After Node's own handler, which sets the keep-alive timeout once the answer is sent.
  res.once('finish', () => {
    if (!req.complete && !socket.destroyed) socket.setTimeout(idleMs);
  });
}

/** Stops the connection's idle timer: the caller watches the body itself (see pacedBody). */
export function stopIdleTimer(req: IncomingMessage): void {
  if (!req.socket.destroyed) req.socket.setTimeout(0);
}

/**
 * The body, watched: the next chunk must come within `idleMs`, and over each `idleMs` spent
 * waiting for the client at least `minBytesPerSecond` must arrive on average (time this side spends
 * writing is not counted). Otherwise the iteration fails with UploadStalled and `onStall` runs.
 */
export function pacedBody(source: AsyncIterable<Buffer>, pace: UploadPace, onStall: (err: UploadStalled) => void): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]() {
      const it = source[Symbol.asyncIterator]();
      let waitedMs = 0;
      let bytes = 0;
      const stall = (message: string): never => {
        const err = new UploadStalled(message);
        onStall(err);
        void Promise.resolve(it.return?.()).catch(() => undefined);
        throw err;
      };
      return {
        async next(): Promise<IteratorResult<Buffer>> {
          const started = performance.now();
          const next = it.next();
          next.catch(() => undefined); // it may settle after a stall; nobody waits for it then
          let timer: NodeJS.Timeout | undefined;
          const idle = new Promise<'idle'>((resolve) => (timer = setTimeout(() => resolve('idle'), pace.idleMs)));
          const result = await Promise.race([next, idle]).finally(() => clearTimeout(timer));
          if (result === 'idle') return stall(`The upload stopped: no data for ${pace.idleMs / 1000} s`);
          if (result.done) return result;
          waitedMs += performance.now() - started;
          bytes += result.value.length;
          if (waitedMs >= pace.idleMs) {
            const rate = bytes / (waitedMs / 1000);
            if (rate < pace.minBytesPerSecond) {
              return stall(`The upload is too slow: ${Math.round(rate)} bytes/s, below the minimum of ${pace.minBytesPerSecond} bytes/s`);
            }
            waitedMs = 0;
            bytes = 0;
          }
          return result;
        },
        async return(): Promise<IteratorResult<Buffer>> {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
