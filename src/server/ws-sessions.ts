// The open WebSocket sessions, followed so that revoking a token ends its sessions at once: when
// the token store changes (a revoke in this process) and on a short timer (the token file is
// re-read when `lifeboat token revoke` in another process rewrote it), every session whose token
// no longer exists is closed.

import type { TokenStore } from '../core/tokens.js';

export interface Session {
  /** The token the session authenticated with, or null while it has not. */
  readonly tokenId: string | null;
  /** Ends the session because its token is gone. */
  revoke(): void;
}

export class WsSessions {
  private readonly sessions = new Set<Session>();
  private readonly timer: NodeJS.Timeout;
  private readonly stopListening: () => void;
  private checking: Promise<void> | null = null;
  /** A change came in during a check: check once more after it. */
  private again = false;

  constructor(
    private readonly tokens: TokenStore,
    checkIntervalMs: number,
  ) {
    this.timer = setInterval(() => void this.check(), checkIntervalMs);
    this.timer.unref();
    this.stopListening = tokens.onChange(() => void this.check());
  }

  /** Follows a session until the returned function is called (when it closes). */
  add(session: Session): () => void {
    this.sessions.add(session);
    return () => this.sessions.delete(session);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Closes the sessions whose token was revoked (or can no longer be read). */
  check(): Promise<void> {
    if (this.checking) {
      this.again = true;
      return this.checking;
    }
    this.checking = (async () => {
      try {
        await this.tokens.reload();
        for (const session of [...this.sessions]) {
          const id = session.tokenId;
          if (id !== null && !(await this.tokens.byId(id))) {
            this.sessions.delete(session);
            session.revoke();
          }
        }
      } finally {
        this.checking = null;
        if (this.again) {
          this.again = false;
          void this.check();
        }
      }
    })();
    return this.checking;
  }

  stop(): void {
    clearInterval(this.timer);
    this.stopListening();
  }
}
