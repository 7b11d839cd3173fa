// The HTTP server of `lifeboat serve` (Fastify): binds to 127.0.0.1 unless told otherwise, answers
// only to allowed host names and refuses state-changing requests from other sites
// (browser-guards.ts), authenticates every API route (request-auth.ts), serves Home Assistant's
// WebSocket API with an auth timeout, size limits and sessions that end when their token is
// revoked, closes connections of clients that send too slowly, logs requests without secrets,
// answers every error with a JSON body carrying a code, and shuts down gracefully. Served through
// Home Assistant's ingress (the add-on), the ingress proxy and the user it names stand in for the
// host check and the token (ingress-auth.ts).

import { nowMs } from '../util/clock.js';
import fastifyMultipart from '@fastify/multipart';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify from 'fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import type { Logger } from '../util/logger.js';
import { authenticate, FailedAuthLimiter } from './auth.js';
import { apiErrorCode, ApiError } from './api-errors.js';
import { registerBrowserGuards } from './browser-guards.js';
import { DEFAULT_HOST, DEFAULT_LIMITS, DEFAULT_PORT, type HttpLimits } from './defaults.js';
import { HostAllowlist } from './host-allowlist.js';
import { ingressWsAuth, registerIngressGuards, type IngressOptions } from './ingress-auth.js';
import { registerRoutes } from './http-routes.js';
import { registerSignInRoute } from './sign-in-route.js';
import { registerMetricsRoute, type MetricsSource } from './metrics-route.js';
import { registerRequestAuth, tokenProblemLogger } from './request-auth.js';
import { PathSigner } from './signed-paths.js';
import { closeIdleBody } from './slow-clients.js';
import { buildCommands } from './ws-commands.js';
import { WsConnection } from './ws-protocol.js';
import { WsSessions } from './ws-sessions.js';

const WS_MAX_MESSAGE = 1 << 20;

export interface HttpServerOptions {
  host?: string;
  port?: number;
  /** Largest accepted backup upload, bytes (default 64 GiB). */
  maxUploadBytes?: number;
  /** Folder with the built web UI; served at / when it exists. */
  webRoot?: string | null;
  /** Served at /metrics (read access) when given. */
  metrics?: MetricsSource;
  /** Names the server answers to besides loopback and its listen address (`--allowed-host`). */
  allowedHosts?: readonly string[];
  /** Timeouts for slow clients (defaults: DEFAULT_LIMITS). */
  limits?: Partial<HttpLimits>;
  /** Served through Home Assistant's ingress: only its proxy is answered, and the user it names is signed in. */
  ingress?: IngressOptions;
  log: Logger;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Paths for logs: the query string is dropped, so passwords passed for decrypt-on-download never appear. */
function loggablePath(url: string): string {
  return url.split('?')[0] ?? url;
}

/** The largest backup an upload may bring unless the server is told otherwise. */
const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

export async function startHttpServer(core: LifeboatCore, opts: HttpServerOptions): Promise<RunningServer> {
  const limits: HttpLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const maxUploadBytes = opts.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const host = opts.host ?? DEFAULT_HOST;
  const tokens = core.tokens;
  const now = () => nowMs(core.clock);
  const limiter = new FailedAuthLimiter(now);
  const signer = new PathSigner(now);
  const noteAuth = tokenProblemLogger(opts.log);
  const server = Fastify({
    logger: false,
    bodyLimit: 1 << 20,
    forceCloseConnections: true,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // How often Node looks for connections past their headers timeout.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
  });
  await server.register(fastifyWebsocket, { options: { maxPayload: WS_MAX_MESSAGE } });
  // One byte past the limit reaches the receive job, which refuses the upload before it is kept: at
  // the limit itself the parser would cut the file short and end it as if it were whole.
  await server.register(fastifyMultipart, { limits: { files: 1, fields: 10, fileSize: maxUploadBytes + 1 } });

  if (opts.ingress) registerIngressGuards(server, opts.ingress);
  else registerBrowserGuards(server, new HostAllowlist(host, opts.allowedHosts ?? [], () => core.settings.allowedHosts));
  server.addHook('onRequest', async (req, reply) => closeIdleBody(req.raw, reply.raw, limits.bodyIdleTimeoutMs));
  if (!opts.ingress) registerRequestAuth(server, core, { limiter, signer, noteAuth });

  server.addHook('onResponse', async (req, reply) => {
    opts.log.info('request', { method: req.method, path: loggablePath(req.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
  });

  server.setErrorHandler((err, _req, reply) => {
    if (err instanceof ApiError) return reply.code(err.status).send({ code: err.code, message: err.message });
    const fastifyErr = err as { statusCode?: number; code?: string; message?: string };
    if (fastifyErr.code === 'FST_REQ_FILE_TOO_LARGE' || fastifyErr.statusCode === 413) {
      return reply.code(413).send({ code: 'upload_too_large', message: 'The upload exceeds the size limit' });
    }
    if (fastifyErr.statusCode && fastifyErr.statusCode < 500) {
      return reply.code(fastifyErr.statusCode).send({ code: 'bad_request', message: fastifyErr.message ?? 'Bad request' });
    }
    const { code, message } = apiErrorCode(err);
    const status = code === 'upload_too_large' ? 413 : code === 'home_assistant_error' && /busy/i.test(message) ? 409 : code === 'unknown_error' ? 500 : 400;
    if (status === 500) opts.log.error('Request failed', { error: (err as Error).message });
    return reply.code(status).send({ code, message });
  });
  server.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 'not_found', message: 'Not found' }));

  const commands = buildCommands(core, signer);
  const sessions = new WsSessions(tokens, limits.tokenCheckIntervalMs);
  // Host and Origin were checked by the browser guards before the upgrade.
  server.get('/api/websocket', { websocket: true, config: { auth: 'public' } }, (socket, req) => {
    const address = req.ip;
    // Through ingress the proxy named the user (the guards checked it): no token to check or revoke.
    const viaIngress = opts.ingress ? ingressWsAuth(req, new Date(now())) : null;
    const conn = new WsConnection(
      { send: (text) => socket.send(text), close: (code, reason) => socket.close(code, reason) },
      commands,
      viaIngress?.authenticate ??
        (async (token) => {
          const result = await authenticate(tokens, limiter, address, token);
          noteAuth(result);
          return result;
        }),
      (err) => apiErrorCode(err),
      viaIngress?.stillValid ?? (async (tokenId) => (await tokens.byId(tokenId)) !== null),
    );
    // Does nothing once the connection has authenticated.
    const authTimer = setTimeout(() => conn.authTimedOut(limits.wsAuthTimeoutMs / 1000), limits.wsAuthTimeoutMs);
    const forget = viaIngress ? () => undefined : sessions.add(conn);
    socket.on('message', (data: Buffer) => void conn.receive(data.toString('utf8')));
    socket.on('close', () => {
      clearTimeout(authTimer);
      forget();
      conn.close();
    });
  });

  registerSignInRoute(server, core, limiter);
  registerRoutes(server, core, {
    maxUploadBytes,
    uploadPace: { idleMs: limits.bodyIdleTimeoutMs, minBytesPerSecond: limits.minUploadBytesPerSecond },
  });
  if (opts.metrics) registerMetricsRoute(server, opts.metrics);

  if (opts.webRoot && existsSync(join(opts.webRoot, 'index.html'))) {
    await server.register(fastifyStatic, { root: opts.webRoot, prefix: '/', wildcard: false });
    // No auth setting here: the hook treats unknown /api/ paths as API routes (token required).
    server.get('/*', (req, reply) =>
      req.url.startsWith('/api/') ? reply.code(404).send({ code: 'not_found', message: 'Not found' }) : reply.sendFile('index.html'),
    );
  }

  const problem = await tokens.unreadable();
  if (problem) noteAuth({ ok: false, token: null, locked: false, storeProblem: problem.message });

  await server.listen({ host, port: opts.port ?? DEFAULT_PORT });
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? DEFAULT_PORT);
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: async () => {
      sessions.stop();
      await server.close();
    },
  };
}
