// Authentication for the API: `Authorization: Bearer <token>` checked against the token store,
// and a limiter that locks out an address after repeated failures (HTTP and WebSocket alike).

import type { TokenStore } from '../core/tokens.js';
import type { TokenInfo } from '../core/types.js';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 5;
const LOCKOUT_MS = 60_000;

export class FailedAuthLimiter {
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  isLocked(address: string): boolean {
    const until = this.lockedUntil.get(address);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.lockedUntil.delete(address);
    return false;
  }

  recordFailure(address: string): void {
    const t = this.now();
    const recent = (this.failures.get(address) ?? []).filter((x) => t - x < WINDOW_MS);
    recent.push(t);
    this.failures.set(address, recent);
    if (recent.length >= MAX_FAILURES) {
      this.lockedUntil.set(address, t + LOCKOUT_MS);
      this.failures.delete(address);
    }
  }

  recordSuccess(address: string): void {
    this.failures.delete(address);
  }
}

export function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(header.trim());
  return m ? (m[1] as string) : null;
}

export interface AuthResult {
  ok: boolean;
  token: TokenInfo | null;
  /** Set when the address is locked out. */
  locked: boolean;
}

export async function authenticate(tokens: TokenStore, limiter: FailedAuthLimiter, address: string, token: string | null): Promise<AuthResult> {
  if (limiter.isLocked(address)) return { ok: false, token: null, locked: true };
  const info = await tokens.verify(token);
  if (!info) {
    // Only wrong tokens count towards a lockout; a request without one guesses nothing.
    if (token) limiter.recordFailure(address);
    return { ok: false, token: null, locked: false };
  }
  limiter.recordSuccess(address);
  return { ok: true, token: info, locked: false };
}
