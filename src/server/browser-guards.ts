// What protects Lifeboat from other web pages in the user's browser, checked before authentication
// on every request: the Host must be a name this server answers to (DNS rebinding: 421), and a
// request that changes anything — every method but GET, HEAD and OPTIONS, and the WebSocket
// upgrade — must not come from another site (`Origin` not allowed or `Sec-Fetch-Site: cross-site`:
// 403). A request without Origin is not a browser's and carries a token. Every response gets the
// security headers (security-headers.ts). /healthz answers whatever the Host, for health checkers
// that address the server by a container or service name; it tells only that it runs and its state.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parseHostHeader, type HostAllowlist } from './host-allowlist.js';
import { securityHeaders } from './security-headers.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HEALTH_PATH = '/healthz';

function isWebSocketUpgrade(req: FastifyRequest): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

/** Why the request's Origin is refused, or null when it is allowed. */
export function crossSiteReason(req: FastifyRequest, allowlist: HostAllowlist, host: string): string | null {
  if (req.headers['sec-fetch-site'] === 'cross-site') return 'Requests from other sites are refused (Sec-Fetch-Site: cross-site)';
  const origin = req.headers.origin;
  if (origin === undefined) return null; // not a browser: the token decides
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return `Requests from the origin ${JSON.stringify(origin)} are refused`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `Requests from the origin ${JSON.stringify(origin)} are refused`;
  // The page's own server (same host and port as addressed), or a name the user allowed (any port:
  // a reverse proxy in front of Lifeboat serves the page on its own port).
  if (url.host === host || allowlist.isNamed(url.hostname)) return null;
  return `Requests from the origin ${origin} are refused; if Lifeboat's page is served from there, allow the name with \`lifeboat serve --allowed-host ${url.hostname}\` or the allowed_hosts setting`;
}

async function refuse(reply: FastifyReply, status: number, code: string, message: string): Promise<void> {
  await reply.code(status).header('connection', 'close').send({ code, message });
}

export function registerBrowserGuards(server: FastifyInstance, allowlist: HostAllowlist): void {
  server.addHook('onRequest', async (req, reply) => {
    const host = parseHostHeader(req.headers.host);
    const allowed = host !== null && allowlist.allows(host.hostname, req.socket.localAddress);
    for (const [name, value] of Object.entries(securityHeaders(allowed ? host.host : null))) reply.header(name, value);
    if (req.url.split('?')[0] === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) return;
    if (!allowed) {
      const name = host?.hostname ?? String(req.headers.host ?? '');
      return refuse(
        reply,
        421,
        'host_not_allowed',
        `This server does not answer to the name ${JSON.stringify(name)}. If you reach Lifeboat by that name, allow it: \`lifeboat serve --allowed-host ${name || '<name>'}\` or the allowed_hosts setting`,
      );
    }
    if (SAFE_METHODS.has(req.method) && !isWebSocketUpgrade(req)) return;
    const reason = crossSiteReason(req, allowlist, host.host);
    if (reason) return refuse(reply, 403, 'origin_not_allowed', reason);
  });
}
