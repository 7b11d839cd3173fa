// One-time sign-in links, for a newcomer who starts Lifeboat and should be looking at the web UI
// within a minute, without first creating and pasting a token. `lifeboat serve --sign-in-link`
// prints `http://…/#/sign-in/<code>`: the code sits in the URL's fragment (browsers never send it
// in a request, so no server or proxy log sees it), is kept here only as its SHA-256, in memory,
// works once, and expires after a quarter of an hour. Redeeming it creates an ordinary admin
// token for that browser, which `lifeboat token list` shows and `token revoke` ends.

import { createHash, randomBytes } from 'node:crypto';
import { nowDate, nowMs, type Clock } from '../util/clock.js';
import type { TokenStore } from './tokens.js';

export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;
/** At most this many links wait to be used; the oldest makes room. */
const MAX_OPEN = 16;

const digest = (code: string) => createHash('sha256').update(code, 'utf8').digest('hex');

export class SignInLinks {
  /** SHA-256 (hex) of each open code → when it expires (ms). */
  private readonly open = new Map<string, number>();

  constructor(
    private readonly tokens: TokenStore,
    private readonly clock: Clock,
  ) {}

  /** A new code, and when it expires. */
  issue(): { code: string; expires: Date } {
    const code = randomBytes(24).toString('base64url');
    const expiresMs = nowMs(this.clock) + SIGN_IN_LINK_TTL_MS;
    this.open.set(digest(code), expiresMs);
    if (this.open.size > MAX_OPEN) this.open.delete(this.open.keys().next().value as string);
    return { code, expires: new Date(expiresMs) };
  }

  /** The link path for a code, to put after the server's address. */
  static path(code: string): string {
    return `/#/sign-in/${code}`;
  }

  /** A fresh admin token for a valid, unused, unexpired code (then spent); null otherwise. */
  async redeem(code: string): Promise<string | null> {
    const key = digest(code);
    const expiresMs = this.open.get(key);
    if (expiresMs === undefined) return null;
    this.open.delete(key);
    if (expiresMs <= nowMs(this.clock)) return null;
    const now = nowDate(this.clock);
    const { token } = await this.tokens.create(`browser (sign-in link, ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC)`, 'admin', now);
    return token;
  }
}
