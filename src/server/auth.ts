// Authentication for the API: `Authorization: Bearer <token>` checked against the token store,
// and a limiter that locks out an address after repeated failures (HTTP and WebSocket alike). The
// limiter's memory is bounded: entries are dropped when they expire, and at most MAX_TRACKED
// addresses are followed in each table (the address that failed longest ago, or the lockout that
// ends soonest, makes room), so a flood from many addresses cannot grow it without end.

import type { TokenStore } from '../core/tokens.js';
import type { TokenInfo } from '../core/types.js';

const WINDOW_MS = 60_000;
const MAX_FAILURES = 5;
const LOCKOUT_MS = 60_000;
/** Addresses followed at most, in each of the two tables. */
export const MAX_TRACKED = 10_000;

export class FailedAuthLimiter {
  /** Address → times of its recent failures (insertion order: the address that failed first comes first). */
  private readonly failures = new Map<string, number[]>();
  private readonly lockedUntil = new Map<string, number>();
  private lastPrune = -Infinity;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxTracked = MAX_TRACKED,
  ) {}

  /** How many addresses are followed now (failures and lockouts). */
  get tracked(): { failures: number; lockouts: number } {
    this.prune(true);
    return { failures: this.failures.size, lockouts: this.lockedUntil.size };
  }

  /** Drops expired entries (at most once a second unless forced). */
  private prune(force = false): void {
    const t = this.now();
    if (!force && t - this.lastPrune < 1000) return;
    this.lastPrune = t;
    for (const [address, until] of this.lockedUntil) if (until <= t) this.lockedUntil.delete(address);
    for (const [address, times] of this.failures) if (times.every((x) => t - x >= WINDOW_MS)) this.failures.delete(address);
  }

  isLocked(address: string): boolean {
    const until = this.lockedUntil.get(address);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.lockedUntil.delete(address);
    return false;
  }

  recordFailure(address: string): void {
    this.prune();
    const t = this.now();
    const recent = (this.failures.get(address) ?? []).filter((x) => t - x < WINDOW_MS);
    recent.push(t);
    this.failures.delete(address);
    this.failures.set(address, recent);
    if (recent.length >= MAX_FAILURES) {
      this.failures.delete(address);
      // Every lockout lasts as long, so the first in the table ends soonest.
      this.lockedUntil.delete(address);
      this.lockedUntil.set(address, t + LOCKOUT_MS);
      if (this.lockedUntil.size > this.maxTracked) this.lockedUntil.delete(this.lockedUntil.keys().next().value as string);
    } else if (this.failures.size > this.maxTracked) {
      this.failures.delete(this.failures.keys().next().value as string);
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
  /** Set when the token file cannot be read: every token is refused, and this says why. */
  storeProblem?: string;
}

export async function authenticate(tokens: TokenStore, limiter: FailedAuthLimiter, address: string, token: string | null): Promise<AuthResult> {
  if (limiter.isLocked(address)) return { ok: false, token: null, locked: true };
  const info = await tokens.verify(token);
  if (!info && token) {
    const problem = await tokens.unreadable();
    if (problem) return { ok: false, token: null, locked: false, storeProblem: problem.message };
  }
  if (!info) {
    // Only wrong tokens count towards a lockout; a request without one guesses nothing.
    if (token) limiter.recordFailure(address);
    return { ok: false, token: null, locked: false };
  }
  limiter.recordSuccess(address);
  return { ok: true, token: info, locked: false };
}
