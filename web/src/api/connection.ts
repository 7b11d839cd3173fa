// The WebSocket connection to `lifeboat serve`, made with Home Assistant's own client library
// (home-assistant-js-websocket): it does the auth handshake with the access token, numbers the
// commands, routes subscription events, and reconnects with every subscription set up again. This
// file adds what the pages rely on: failures as a CommandError with a code and a message, a refused
// token told apart from an address locked out after too many, and the connection's ups and downs.

import { createConnection, createLongLivedTokenAuth, ERR_INVALID_AUTH, type Connection as HaConnection } from 'home-assistant-js-websocket';
import { serverUrl } from './base-url.js';
import { lockedOut } from './http.js';

export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token was refused (auth_invalid); `locked`: this address tried too many wrong tokens and must wait. */
export class AuthError extends Error {
  constructor(readonly locked: boolean) {
    super(locked ? 'Too many failed attempts' : 'Invalid access token');
  }
}

/**
 * What the library rejects with, as a CommandError: the server's error ({code, message}), the
 * result it makes up for a command cut off by a lost connection ({error: {code, message}}, with a
 * numeric code), or a bare number when there was no connection to send on.
 */
function commandError(err: unknown): CommandError {
  const e = (typeof err === 'object' && err !== null && 'error' in err ? err.error : err) as { code?: unknown; message?: unknown } | null;
  if (typeof e === 'object' && e !== null && typeof e.message === 'string') {
    return new CommandError(typeof e.code === 'string' ? e.code : 'not_connected', e.message);
  }
  return new CommandError('not_connected', 'Not connected');
}

/**
 * The library's events: `disconnected` when the connection is lost (it then reconnects), `ready`
 * when it is back, `reconnect-error` when the token was refused on reconnecting (it was revoked).
 */
export type ConnectionEvent = 'ready' | 'disconnected' | 'reconnect-error';

export class Connection {
  private constructor(private readonly socket: HaConnection) {}

  /**
   * Connects to the server the page came from (under ingress too); rejects with AuthError for a
   * refused token. Signed in by the ingress proxy, the token is empty: the server takes the user the
   * proxy named instead.
   */
  static async open(token: string): Promise<Connection> {
    try {
      return new Connection(await createConnection({ auth: createLongLivedTokenAuth(serverUrl(), token) }));
    } catch (err) {
      // The library keeps auth_invalid's message to itself: the server says whether the address is locked out.
      if (err === ERR_INVALID_AUTH) throw new AuthError(await lockedOut().catch(() => false));
      throw new Error('Cannot connect to Lifeboat');
    }
  }

  /** False from a lost connection until the library has reconnected. */
  get connected(): boolean {
    return this.socket.connected;
  }

  on(event: ConnectionEvent, listener: () => void): void {
    this.socket.addEventListener(event, () => listener());
  }

  command<T = unknown>(type: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.socket.sendMessagePromise<T>({ ...params, type }).catch((err: unknown) => {
      throw commandError(err);
    });
  }

  /** Starts a subscription (kept across reconnections); resolves with a function that ends it. */
  subscribe<E>(type: string, onEvent: (event: E) => void): Promise<() => Promise<void>> {
    return this.socket.subscribeMessage<E>(onEvent, { type }).catch((err: unknown) => {
      throw commandError(err);
    });
  }

  /** subscribe_events for one event type, as subscribe() does. */
  subscribeEvents<E>(eventType: string, onEvent: (event: E) => void): Promise<() => Promise<void>> {
    return this.socket.subscribeEvents<E>(onEvent, eventType).catch((err: unknown) => {
      throw commandError(err);
    });
  }

  close(): void {
    this.socket.close();
  }
}
