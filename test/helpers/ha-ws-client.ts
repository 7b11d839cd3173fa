// A small WebSocket client speaking Home Assistant's protocol, for tests against a running
// Lifeboat: the auth handshake (auth_required → auth → auth_ok / auth_invalid), commands with
// increasing ids (`call` resolves with the result or throws an error carrying the code),
// subscriptions with their events, unsubscribe, ping/pong — plus a raw socket for protocol tests
// that need to send malformed or out-of-order messages.

import WebSocket from 'ws';

/** Any message the server sent, parsed. */
export interface WsMessage {
  id?: number | null;
  type: string;
  [key: string]: unknown;
}

export interface ResultError {
  code: string;
  message: string;
}

/** A command answered with `success: false`. */
export class HaCommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly id: number | null,
  ) {
    super(`${code}: ${message}`);
    this.name = 'HaCommandError';
  }
  /** The server's message, without the code prefix. */
  get serverMessage(): string {
    return this.message.slice(this.code.length + 2);
  }
}

/** The handshake ended with `auth_invalid`. */
export class HaAuthError extends Error {
  constructor(
    message: string,
    readonly closeCode: number | null,
  ) {
    super(message);
    this.name = 'HaAuthError';
  }
}

export interface SocketOptions {
  /** Sent as the Origin header (browsers always send one). */
  origin?: string;
  /** Local address to connect from (any 127.x.y.z on Linux): a separate identity for the rate limiter. */
  localAddress?: string;
  /** Default timeout for waiting on a message, ms. */
  timeoutMs?: number;
}

/** A WebSocket with a queue of parsed messages and no protocol logic. */
export class RawWs {
  /** Every message received, in order. */
  readonly received: WsMessage[] = [];
  private cursor = 0;
  private waiters: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private closeInfo: { code: number; reason: string } | null = null;

  private constructor(
    readonly socket: WebSocket,
    private readonly timeoutMs: number,
  ) {
    socket.on('message', (data: WebSocket.RawData) => {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      this.received.push(JSON.parse(text) as WsMessage);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code: number, reason: Buffer) => {
        this.closeInfo = { code, reason: reason.toString('utf8') };
        resolve(this.closeInfo);
        this.wake();
      }),
    );
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  static open(url: string, opts: SocketOptions = {}): Promise<RawWs> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { origin: opts.origin, localAddress: opts.localAddress, handshakeTimeout: 10_000 });
      const raw = new RawWs(socket, opts.timeoutMs ?? 20_000);
      socket.once('open', () => resolve(raw));
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  get isClosed(): boolean {
    return this.closeInfo !== null;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message not yet taken, if one has arrived. */
  take(): WsMessage | undefined {
    return this.cursor < this.received.length ? (this.received[this.cursor++] as WsMessage) : undefined;
  }

  /** The next message not yet taken (in arrival order); rejects on timeout or when the socket closes. */
  async next(timeoutMs = this.timeoutMs): Promise<WsMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.cursor < this.received.length) return this.received[this.cursor++] as WsMessage;
      if (this.closeInfo) throw new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for a message`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) this.socket.close();
  }
}

type Waiter = { id: number | null; resolve: (m: WsMessage) => void; reject: (e: Error) => void };

/** An authenticated connection. */
export class HaWsClient {
  private lastId = 0;
  private readonly waiters: Waiter[] = [];
  private readonly handlers = new Map<number, (event: unknown) => void>();
  /** Every message received after auth_ok, in order (results, events, pongs). */
  readonly log: WsMessage[] = [];

  private constructor(
    readonly raw: RawWs,
    readonly haVersion: string,
  ) {
    raw.socket.on('message', () => this.pump());
    void raw.closed.then(() => {
      for (const w of this.waiters.splice(0)) w.reject(new Error('socket closed'));
    });
    this.pump();
  }

  /** Connects, waits for auth_required, authenticates; rejects with HaAuthError on auth_invalid. */
  static async connect(url: string, token: string | null, opts: SocketOptions = {}): Promise<HaWsClient> {
    const raw = await RawWs.open(url, opts);
    try {
      const required = await raw.next();
      if (required.type !== 'auth_required') throw new Error(`expected auth_required, got ${JSON.stringify(required)}`);
      raw.send(token === null ? { type: 'auth' } : { type: 'auth', access_token: token });
      const answer = await raw.next();
      if (answer.type === 'auth_invalid') {
        const closed = await Promise.race([raw.closed, new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
        throw new HaAuthError(String(answer.message), closed?.code ?? null);
      }
      if (answer.type !== 'auth_ok') throw new Error(`expected auth_ok, got ${JSON.stringify(answer)}`);
      return new HaWsClient(raw, String(answer.ha_version));
    } catch (err) {
      raw.close();
      throw err;
    }
  }

  private pump(): void {
    // Take every queued message (synchronously, so events are dispatched in arrival order).
    for (let msg = this.raw.take(); msg; msg = this.raw.take()) {
      this.log.push(msg);
      if (msg.type === 'event') {
        this.handlers.get(msg.id as number)?.(msg.event);
        continue;
      }
      const i = this.waiters.findIndex((w) => w.id === (msg.id ?? null));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(msg);
    }
  }

  nextId(): number {
    return ++this.lastId;
  }

  /**
   * Sends a message as is (any id, any shape; a string is sent verbatim) and resolves with the
   * answer carrying `answerId`.
   */
  request(
    message: Record<string, unknown> | string,
    answerId: number | null = typeof message === 'string' ? null : ((message.id as number | undefined) ?? null),
    timeoutMs = 60_000,
  ): Promise<WsMessage> {
    if (typeof message !== 'string' && typeof message.id === 'number' && message.id > this.lastId) this.lastId = message.id;
    const answer = new Promise<WsMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no answer to ${typeof message === 'string' ? message : JSON.stringify(message)} within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        id: answerId,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      this.waiters.push(waiter);
    });
    this.raw.send(message);
    return answer;
  }

  private static unwrap<T>(msg: WsMessage): T {
    if (msg.type !== 'result') throw new Error(`expected a result, got ${JSON.stringify(msg)}`);
    if (msg.success === true) return msg.result as T;
    const error = msg.error as ResultError;
    throw new HaCommandError(error.code, error.message, (msg.id as number | null) ?? null);
  }

  /** Runs a command; resolves with its result or throws HaCommandError (with `code`). */
  async call<T = unknown>(type: string, params: Record<string, unknown> = {}, timeoutMs?: number): Promise<T> {
    const id = this.nextId();
    return HaWsClient.unwrap<T>(await this.request({ ...params, id, type }, id, timeoutMs));
  }

  /** Subscribes; `onEvent` sees every event (also those sent before the result). Returns the subscription id. */
  async subscribe(type: string, params: Record<string, unknown>, onEvent: (event: unknown) => void): Promise<number> {
    const id = this.nextId();
    this.handlers.set(id, onEvent);
    try {
      HaWsClient.unwrap(await this.request({ ...params, id, type }, id));
    } catch (err) {
      this.handlers.delete(id);
      throw err;
    }
    return id;
  }

  async unsubscribe(subscription: number): Promise<void> {
    await this.call('unsubscribe_events', { subscription });
    this.handlers.delete(subscription);
  }

  /** Sends a ping and waits for its pong. */
  async ping(): Promise<WsMessage> {
    const id = this.nextId();
    return this.request({ id, type: 'ping' }, id);
  }

  close(): void {
    this.raw.close();
  }
}

/** Collects events of a subscription and lets a test wait for one that matches. */
export class EventCollector<E = Record<string, unknown>> {
  readonly events: E[] = [];
  private waiters: { predicate: (e: E) => boolean; from: number; resolve: (e: E) => void }[] = [];

  readonly push = (event: unknown): void => {
    this.events.push(event as E);
    this.waiters = this.waiters.filter((w) => {
      if (!w.predicate(event as E)) return true;
      w.resolve(event as E);
      return false;
    });
  };

  /** Resolves with the first event (already received from index `from` on, or later) that matches. */
  waitFor(predicate: (e: E) => boolean, timeoutMs = 60_000, from = 0): Promise<E> {
    const found = this.events.slice(from).find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`event not seen within ${timeoutMs} ms; got ${JSON.stringify(this.events)}`)), timeoutMs);
      this.waiters.push({
        predicate,
        from,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }
}
