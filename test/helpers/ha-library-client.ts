// Home Assistant's own JavaScript client (home-assistant-js-websocket), connected to a running
// Lifeboat the way a dashboard or the Home Assistant frontend connects to Home Assistant: a
// long-lived token and the library's own handshake. In Node the library needs a WebSocket class;
// the `ws` package provides one with the browser's interface.

import { createConnection, createLongLivedTokenAuth, type Connection } from 'home-assistant-js-websocket';
import WebSocket from 'ws';

/** The browser's WebSocket global, which the library constructs its sockets from. */
function provideWebSocket(): void {
  const global = globalThis as { WebSocket?: unknown };
  global.WebSocket ??= WebSocket;
}

/**
 * Connects the library to `serverUrl` (http://host:port) with a long-lived token; rejects with the
 * library's error code (ERR_INVALID_AUTH, ERR_CANNOT_CONNECT) as it does against Home Assistant.
 */
export async function connectLibrary(serverUrl: string, token: string): Promise<Connection> {
  provideWebSocket();
  return createConnection({ auth: createLongLivedTokenAuth(serverUrl, token) });
}

/** An error result as the library rejects it: Home Assistant's `{code, message}`. */
export interface LibraryError {
  code: string;
  message: string;
}

/** Resolves with the error a command was refused with; fails when the command succeeds. */
export async function refusal(p: Promise<unknown>): Promise<LibraryError> {
  return p.then(
    (result) => {
      throw new Error(`expected an error, got ${JSON.stringify(result)}`);
    },
    (err: unknown) => err as LibraryError,
  );
}
