// Where `lifeboat serve` listens unless told otherwise — this machine only, on the port next to
// Home Assistant's own 8123 — and how long it waits for slow clients.

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8124;

export interface HttpLimits {
  /** All request headers must arrive within this (slow-header attacks), ms. */
  headersTimeoutMs: number;
  /** A request body that stops arriving for this long is abandoned, ms. */
  bodyIdleTimeoutMs: number;
  /** An upload must average at least this many bytes per second over each idle period. */
  minUploadBytesPerSecond: number;
  /** A WebSocket must send its auth message within this, ms. */
  wsAuthTimeoutMs: number;
  /** How often open WebSocket sessions are checked against revoked tokens, ms. */
  tokenCheckIntervalMs: number;
}

export const DEFAULT_LIMITS: HttpLimits = {
  headersTimeoutMs: 30_000,
  bodyIdleTimeoutMs: 60_000,
  minUploadBytesPerSecond: 4096,
  wsAuthTimeoutMs: 10_000,
  tokenCheckIntervalMs: 1000,
};
