// Home Assistant's WebSocket protocol for one connection: the auth handshake (auth_required →
// auth → auth_ok / auth_invalid, or a close when no auth message comes in time), the command
// envelope with increasing ids, results and errors, events for subscriptions, ping/pong and
// unsubscribe_events. Commands come from a registry. A connection whose token is revoked is closed
// (4001 "token revoked"), and every command first checks that its token is still valid.

import { z } from 'zod';
import type { TokenInfo } from '../core/types.js';
import { VERSION } from '../version.js';

export class WsError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface CommandContext {
  id: number;
  token: TokenInfo;
  /** Sends an event to this command's subscription. */
  sendEvent(event: unknown): void;
  /** Registers what to call when the client unsubscribes or disconnects. */
  onUnsubscribe(stop: () => void): void;
  /** Registers what to do right after the result is sent (subscriptions whose first event follows it). */
  afterResult(next: () => void): void;
}

export interface Command<S extends z.ZodType = z.ZodType> {
  type: string;
  schema: S;
  /** Commands that change anything need an admin token; read-only tokens may read. */
  readOnly?: boolean;
  /** Subscriptions may send events before their result; they get the result of handler. */
  handler(msg: z.infer<S>, ctx: CommandContext): Promise<unknown> | unknown;
}

export function command<S extends z.ZodType>(c: Command<S>): Command {
  return c as unknown as Command;
}

export interface Transport {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

const EnvelopeSchema = z.looseObject({ id: z.number().int().positive(), type: z.string().min(1) });
const AuthSchema = z.object({ type: z.literal('auth'), access_token: z.string().optional(), api_password: z.string().optional() });

/**
 * The `ha_version` announced in the handshake: the Home Assistant release whose backup API this
 * server implements (clients compare it numerically to enable features). Lifeboat's own version
 * travels next to it as `lifeboat_version`.
 */
export const HA_VERSION_STRING = '2026.7.0';

export class WsConnection {
  private token: TokenInfo | null = null;
  private lastId = 0;
  private readonly subscriptions = new Map<number, (() => void)[]>();
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly commands: ReadonlyMap<string, Command>,
    private readonly authenticate: (token: string | null) => Promise<{ ok: boolean; token: TokenInfo | null; locked: boolean; storeProblem?: string }>,
    private readonly onError: (err: unknown, type: string) => { code: string; message: string },
    /** Whether the token (by id) is still valid; checked before every command. */
    private readonly stillValid: (tokenId: string) => Promise<boolean> = async () => true,
  ) {
    this.send({ type: 'auth_required', ha_version: HA_VERSION_STRING, lifeboat_version: VERSION });
  }

  /** The id of the token the connection authenticated with, or null before auth_ok. */
  get tokenId(): string | null {
    return this.token?.id ?? null;
  }

  /** No auth message in time: auth_invalid, and the socket is closed. */
  authTimedOut(seconds: number): void {
    if (!this.token && !this.closed) this.fail(`No auth message within ${seconds} s`);
  }

  /** The token was revoked: the socket is closed and every subscription ends. */
  revoke(): void {
    if (this.closed) return;
    this.close();
    this.transport.close(4001, 'token revoked');
  }

  private send(message: unknown): void {
    if (!this.closed) this.transport.send(JSON.stringify(message));
  }

  async receive(text: string): Promise<void> {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      if (!this.token) return this.fail('Message is not JSON');
      this.send({ id: null, type: 'result', success: false, error: { code: 'invalid_format', message: 'Message incorrectly formatted.' } });
      return;
    }
    if (!this.token) return this.handleAuth(data);
    if (!(await this.stillValid(this.token.id))) return this.revoke();
    const messages = Array.isArray(data) ? data : [data];
    for (const m of messages) await this.handleCommand(m);
  }

  private fail(message: string): void {
    this.send({ type: 'auth_invalid', message });
    this.closed = true;
    this.transport.close(4001, 'auth_invalid');
  }

  private async handleAuth(data: unknown): Promise<void> {
    const parsed = AuthSchema.safeParse(data);
    if (!parsed.success) return this.fail('Auth message incorrectly formatted');
    const result = await this.authenticate(parsed.data.access_token ?? null);
    if (this.closed) return;
    if (!result.ok || !result.token) {
      return this.fail(result.locked ? 'Too many failed attempts; try again later' : (result.storeProblem ?? 'Invalid access token or password'));
    }
    this.token = result.token;
    this.send({ type: 'auth_ok', ha_version: HA_VERSION_STRING, lifeboat_version: VERSION });
  }

  private error(id: number | null, code: string, message: string): void {
    this.send({ id, type: 'result', success: false, error: { code, message } });
  }

  private async handleCommand(data: unknown): Promise<void> {
    const env = EnvelopeSchema.safeParse(data);
    if (!env.success) {
      const id = typeof (data as { id?: unknown })?.id === 'number' ? (data as { id: number }).id : null;
      return this.error(id, 'invalid_format', 'Message incorrectly formatted.');
    }
    const { id, type } = env.data;
    if (id <= this.lastId) return this.error(id, 'id_reuse', 'Identifier values have to increase.');
    this.lastId = id;
    if (type === 'ping') return this.send({ id, type: 'pong' });
    if (type === 'unsubscribe_events') {
      const sub = (data as { subscription?: unknown }).subscription;
      const stops = typeof sub === 'number' ? this.subscriptions.get(sub) : undefined;
      if (!stops) return this.error(id, 'not_found', 'Subscription not found.');
      for (const stop of stops) stop();
      this.subscriptions.delete(sub as number);
      return this.send({ id, type: 'result', success: true, result: null });
    }
    if (type === 'supported_features') return this.send({ id, type: 'result', success: true, result: null });
    const cmd = this.commands.get(type);
    if (!cmd) return this.error(id, 'unknown_command', 'Unknown command.');
    if (!cmd.readOnly && this.token?.scope !== 'admin') return this.error(id, 'unauthorized', 'Unauthorized');
    const { id: _i, type: _t, ...params } = env.data;
    const parsed = cmd.schema.safeParse(params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.error(id, 'invalid_format', `${issue?.message ?? 'invalid value'}${issue?.path.length ? ` for dictionary value @ data['${issue.path.join("']['")}']` : ''}`);
    }
    const afterResult: (() => void)[] = [];
    const ctx: CommandContext = {
      id,
      token: this.token as TokenInfo,
      sendEvent: (event) => this.send({ id, type: 'event', event }),
      onUnsubscribe: (stop) => this.subscriptions.set(id, [...(this.subscriptions.get(id) ?? []), stop]),
      afterResult: (next) => afterResult.push(next),
    };
    try {
      const result = await cmd.handler(parsed.data, ctx);
      this.send({ id, type: 'result', success: true, result: result ?? null });
      for (const next of afterResult) next();
    } catch (err) {
      for (const stop of this.subscriptions.get(id) ?? []) stop();
      this.subscriptions.delete(id);
      const { code, message } = this.onError(err, type);
      this.error(id, code, message);
    }
  }

  /** The client went away: end every subscription. */
  close(): void {
    this.closed = true;
    for (const stops of this.subscriptions.values()) for (const stop of stops) stop();
    this.subscriptions.clear();
  }
}
