// Who may call which route, checked on every request after the browser guards: public routes
// (the web UI, /healthz), onboarding routes only while the machine is fresh, signed links (one GET,
// once), and otherwise a bearer token of the scope the route needs. A token file that cannot be
// read answers 503 with the reason, logged once per reason: every token is refused until it is fixed.

import type { FastifyInstance } from 'fastify';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import type { Logger } from '../util/logger.js';
import { authenticate, bearerToken, type AuthResult, type FailedAuthLimiter } from './auth.js';
import type { RouteAuth } from './http-routes.js';
import { SIGNATURE_PARAM, type PathSigner } from './signed-paths.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

/** Logs a token-store problem the first time it is seen (and again once it changed). */
export function tokenProblemLogger(log: Logger): (result: AuthResult) => void {
  let last: string | null = null;
  return (result) => {
    if (result.storeProblem && result.storeProblem !== last) log.error('Every access token is refused', { error: result.storeProblem });
    last = result.storeProblem ?? (result.ok ? null : last);
  };
}

export function registerRequestAuth(
  server: FastifyInstance,
  core: LifeboatCore,
  deps: { limiter: FailedAuthLimiter; signer: PathSigner; noteAuth: (result: AuthResult) => void },
): void {
  const { tokens } = core;
  server.addHook('onRequest', async (req, reply) => {
    const auth: RouteAuth = req.routeOptions.config.auth ?? (req.url.startsWith('/api/') ? 'admin' : 'public');
    if (auth === 'public' || req.url.split('?')[0] === '/api/websocket') return;
    if (auth === 'onboarding') {
      if (await core.onboarding.isOpen()) return;
      return reply.code(401).send({ code: 'unauthorized', message: 'Onboarding is finished; use the authenticated API' });
    }
    if (req.method === 'GET' && req.url.includes(`${SIGNATURE_PARAM}=`)) {
      const tokenId = deps.signer.redeem(req.url);
      const token = tokenId ? await tokens.byId(tokenId) : null;
      if (token && (auth !== 'admin' || token.scope === 'admin')) return;
      return reply.code(401).send({ code: 'unauthorized', message: 'The signed link is invalid, has expired or was already used; ask for a new one' });
    }
    const result = await authenticate(tokens, deps.limiter, req.ip, bearerToken(req.headers.authorization));
    deps.noteAuth(result);
    if (result.storeProblem) return reply.code(503).send({ code: 'token_store_unreadable', message: result.storeProblem });
    if (result.locked) return reply.code(429).send({ code: 'too_many_attempts', message: 'Too many failed attempts; try again later' });
    if (!result.ok) return reply.code(401).send({ code: 'unauthorized', message: 'A valid access token is required' });
    if (auth === 'admin' && result.token?.scope !== 'admin') return reply.code(401).send({ code: 'unauthorized', message: 'This token may only read' });
  });
}
