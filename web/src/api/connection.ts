// A client for Home Assistant's WebSocket protocol as `lifeboat serve` speaks it: the auth
// handshake with an access token, commands with increasing ids, subscriptions (whose events may
// arrive before their result), and reconnection with the subscriptions set up again.

export class CommandError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The token was refused (auth_invalid). */
export class AuthError extends Error {}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Subscription = { type: string; params: Record<string, unknown>; onEvent: (e: unknown) => void; id: number };

export type ConnectionStatus = 'connected' | 'reconnecting';

function websocketUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/websocket`;
}

/** Opens a socket and completes the auth handshake; rejects with AuthError for a bad token. */
function handshake(url: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let done = false;
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      ws.close();
      reject(err);
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as { type: string; message?: string };
      if (msg.type === 'auth_required') ws.send(JSON.stringify({ type: 'auth', access_token: token }));
      else if (msg.type === 'auth_ok') {
        done = true;
        ws.onmessage = null;
        ws.onclose = null;
        ws.onerror = null;
        resolve(ws);
      } else if (msg.type === 'auth_invalid') fail(new AuthError(msg.message ?? 'auth_invalid'));
    };
    ws.onerror = () => fail(new Error('connection failed'));
    ws.onclose = () => fail(new Error('connection closed'));
  });
}

export class Connection extends EventTarget {
  private ws: WebSocket;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly subscriptions = new Set<Subscription>();
  private closedByUser = false;
  status: ConnectionStatus = 'connected';

  private constructor(
    ws: WebSocket,
    private readonly token: string,
    private readonly url: string,
  ) {
    super();
    this.ws = ws;
    this.attach(ws);
  }

  static async open(token: string, url = websocketUrl()): Promise<Connection> {
    return new Connection(await handshake(url, token), token, url);
  }

  private attach(ws: WebSocket): void {
    ws.onmessage = (ev) => this.receive(String(ev.data));
    ws.onclose = () => this.lost();
  }

  private receive(text: string): void {
    const msg = JSON.parse(text) as { id: number; type: string; success?: boolean; result?: unknown; error?: { code: string; message: string }; event?: unknown };
    if (msg.type === 'event') {
      for (const sub of this.subscriptions) if (sub.id === msg.id) sub.onEvent(msg.event);
      return;
    }
    const pending = this.pending.get(msg.id);
    if (!pending) return;
    this.pending.delete(msg.id);
    if (msg.type === 'pong' || msg.success) pending.resolve(msg.result ?? null);
    else pending.reject(new CommandError(msg.error?.code ?? 'unknown_error', msg.error?.message ?? 'Unknown error'));
  }

  private send(message: Record<string, unknown>): { id: number; result: Promise<unknown> } {
    const id = this.nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      if (this.ws.readyState !== WebSocket.OPEN) {
        reject(new CommandError('not_connected', 'Not connected'));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...message, id }));
    });
    return { id, result };
  }

  command<T = unknown>(type: string, params: Record<string, unknown> = {}): Promise<T> {
    return this.send({ ...params, type }).result as Promise<T>;
  }

  /** Subscribes; returns a function that unsubscribes. Survives reconnections. */
  async subscribe<E>(type: string, onEvent: (event: E) => void, params: Record<string, unknown> = {}): Promise<() => void> {
    const sub: Subscription = { type, params, onEvent: onEvent as (e: unknown) => void, id: 0 };
    await this.start(sub);
    return () => {
      this.subscriptions.delete(sub);
      if (this.ws.readyState === WebSocket.OPEN) void this.command('unsubscribe_events', { subscription: sub.id }).catch(() => undefined);
    };
  }

  private async start(sub: Subscription): Promise<void> {
    // Events can precede the result, so the subscription must be findable by id at once.
    const { id, result } = this.send({ ...sub.params, type: sub.type });
    sub.id = id;
    this.subscriptions.add(sub);
    try {
      await result;
    } catch (err) {
      this.subscriptions.delete(sub);
      throw err;
    }
  }

  private setStatus(status: ConnectionStatus): void {
    this.status = status;
    this.dispatchEvent(new Event('status'));
  }

  private lost(): void {
    for (const p of this.pending.values()) p.reject(new CommandError('not_connected', 'Connection lost'));
    this.pending.clear();
    if (this.closedByUser) return;
    this.setStatus('reconnecting');
    void this.reconnect(500);
  }

  private async reconnect(delay: number): Promise<void> {
    await new Promise((r) => setTimeout(r, delay));
    if (this.closedByUser) return;
    try {
      this.ws = await handshake(this.url, this.token);
    } catch (err) {
      if (err instanceof AuthError) {
        this.dispatchEvent(new Event('auth-invalid'));
        return;
      }
      return this.reconnect(Math.min(delay * 2, 10_000));
    }
    this.nextId = 1;
    this.attach(this.ws);
    const subs = [...this.subscriptions];
    this.subscriptions.clear();
    for (const sub of subs) await this.start(sub).catch(() => undefined);
    this.setStatus('connected');
    this.dispatchEvent(new Event('reconnected'));
  }

  close(): void {
    this.closedByUser = true;
    this.ws.close();
  }
}
