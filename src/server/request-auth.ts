// Who may call which route, checked on every request after the browser guards: public routes
// (the web UI, /healthz), onboarding routes only while the machine is fresh, signed links (one GET,
// only while unexpired), and otherwise a bearer token of the scope the route needs.

import type { FastifyInstance } from 'fastify';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import { authenticate, bearerToken, type FailedAuthLimiter } from './auth.js';
import type { RouteAuth } from './http-routes.js';
import { SIGNATURE_PARAM, type PathSigner } from './signed-paths.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: RouteAuth;
  }
}

export function registerRequestAuth(
  server: FastifyInstance,
  core: LifeboatCore,
  deps: { limiter: FailedAuthLimiter; signer: PathSigner },
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
      const tokenId = deps.signer.verify(req.url);
      const token = tokenId ? await tokens.byId(tokenId) : null;
      if (token && (auth !== 'admin' || token.scope === 'admin')) return;
      return reply.code(401).send({ code: 'unauthorized', message: 'The signed link is invalid or has expired' });
    }
    const result = await authenticate(tokens, deps.limiter, req.ip, bearerToken(req.headers.authorization));
    if (result.locked) return reply.code(429).send({ code: 'too_many_attempts', message: 'Too many failed attempts; try again later' });
    if (!result.ok) return reply.code(401).send({ code: 'unauthorized', message: 'A valid access token is required' });
    if (auth === 'admin' && result.token?.scope !== 'admin') return reply.code(401).send({ code: 'unauthorized', message: 'This token may only read' });
  });
}
