// Who may talk to the server when Home Assistant's ingress serves it (the add-on): only the ingress
// proxy, and only with the Home Assistant user that proxy names (for every path, so no spelling of
// a path can slip past the check). Under Home Assistant
// OS the browser reaches Lifeboat as `/api/hassio_ingress/<token>/…` on Home Assistant's own
// address; Home Assistant checks the user's ingress session, the Supervisor (172.30.32.2) strips the
// prefix and forwards the request with `X-Ingress-Path` and the user in `X-Remote-User-Id`,
// `X-Remote-User-Name` and `X-Remote-User-Display-Name` (it drops those headers when the browser
// sends them). So a request from any other address is refused whatever it carries — another
// add-on on the Supervisor's network cannot forge the user — and no Lifeboat token is needed in
// the browser. The browser's Host and Origin arrive unchanged, so requests that change anything
// and WebSocket upgrades are still refused when they come from another site (browser-guards.ts),
// and the page may be framed only by its own origin: Home Assistant shows it in an iframe.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenInfo } from '../core/types.js';
import { crossSiteReason } from './browser-guards.js';
import { HostAllowlist, normalHost, parseHostHeader } from './host-allowlist.js';
import { securityHeaders } from './security-headers.js';

export interface IngressOptions {
  /** The addresses the ingress proxy connects from (the Supervisor: 172.30.32.2). */
  proxies: readonly string[];
}

/** The Home Assistant user the ingress proxy vouches for. */
export interface IngressUser {
  id: string;
  name: string | null;
  displayName: string | null;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HEALTH_PATH = '/healthz';
/** Longest value taken from the proxy's user headers. */
const MAX_HEADER = 256;

function header(req: FastifyRequest, name: string): string | null {
  const value = req.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.length <= MAX_HEADER ? text : null;
}

/** Whether the request's connection comes from one of the proxy's addresses. */
export function fromProxy(req: FastifyRequest, opts: IngressOptions): boolean {
  const peer = req.socket.remoteAddress;
  return peer !== undefined && opts.proxies.some((p) => normalHost(p) === normalHost(peer));
}

/** The user the proxy names on this request (only meaningful once fromProxy holds). */
export function ingressUserOf(req: FastifyRequest): IngressUser | null {
  const id = header(req, 'x-remote-user-id');
  if (!id) return null;
  return { id, name: header(req, 'x-remote-user-name'), displayName: header(req, 'x-remote-user-display-name') };
}

/**
 * The session of a WebSocket opened through the proxy: an admin session of the Home Assistant user,
 * named as Home Assistant names them (`auth/current_user` shows it), which lives as long as the
 * connection (Home Assistant ends it with the user's ingress session).
 */
export function ingressSessionToken(user: IngressUser, now: Date): TokenInfo {
  return { id: `ha-user:${user.id}`, name: user.displayName ?? user.name ?? user.id, created_at: now.toISOString(), scope: 'admin' };
}

/** The WebSocket handshake for a connection the proxy opened: its auth message is answered auth_ok whatever token it carries. */
export function ingressWsAuth(req: FastifyRequest, now: Date): { authenticate: () => Promise<{ ok: true; token: TokenInfo; locked: false }>; stillValid: () => Promise<boolean> } | null {
  const user = ingressUserOf(req);
  if (!user) return null;
  const token = ingressSessionToken(user, now);
  return { authenticate: async () => ({ ok: true, token, locked: false }), stillValid: async () => true };
}

async function refuse(reply: FastifyReply, status: number, code: string, message: string): Promise<void> {
  await reply.code(status).header('connection', 'close').send({ code, message });
}

/** Replaces the browser guards and the token check when the server is reached through ingress. */
export function registerIngressGuards(server: FastifyInstance, opts: IngressOptions): void {
  // No names are allowed beyond the page's own: an Origin must be the Host the browser addressed.
  const noNames = new HostAllowlist('0.0.0.0', [], () => []);
  server.addHook('onRequest', async (req, reply) => {
    const host = parseHostHeader(req.headers.host);
    for (const [name, value] of Object.entries(securityHeaders(host?.host ?? null, 'same-origin'))) reply.header(name, value);
    const path = req.url.split('?')[0] ?? req.url;
    if (path === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) return;
    if (!fromProxy(req, opts)) {
      return refuse(reply, 403, 'not_from_ingress', "Lifeboat answers only through Home Assistant's ingress: open it from Home Assistant's sidebar");
    }
    if (!host) return refuse(reply, 400, 'bad_request', 'The request has no valid Host');
    const changes = !SAFE_METHODS.has(req.method) || (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    const reason = changes ? crossSiteReason(req, noNames, host.host) : null;
    if (reason) return refuse(reply, 403, 'origin_not_allowed', reason);
    if (!ingressUserOf(req)) {
      return refuse(reply, 401, 'unauthorized', 'Home Assistant did not say who is signed in; open Lifeboat from Home Assistant\'s sidebar');
    }
  });
}
