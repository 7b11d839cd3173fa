// The one route a sign-in link's page calls: it trades the link's one-time code (from the URL's
// fragment) for an access token. Public, so it answers only same-site POSTs (the browser guards)
// and counts every wrong code against the address like a wrong token, so codes cannot be guessed.

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import type { FailedAuthLimiter } from './auth.js';

export const SIGN_IN_PATH = '/api/lifeboat/sign_in_link';

const BodySchema = z.object({ code: z.string().min(1).max(200) }).strict();

export function registerSignInRoute(server: FastifyInstance, core: LifeboatCore, limiter: FailedAuthLimiter): void {
  server.post(SIGN_IN_PATH, { config: { auth: 'public' } }, async (req, reply) => {
    if (limiter.isLocked(req.ip)) return reply.code(429).send({ code: 'too_many_attempts', message: 'Too many failed attempts; try again later' });
    const body = BodySchema.safeParse(req.body);
    if (!body.success) return reply.code(400).send({ code: 'bad_request', message: 'Expected {"code": "<the code of the sign-in link>"}' });
    const token = await core.signInLinks.redeem(body.data.code);
    if (!token) {
      limiter.recordFailure(req.ip);
      return reply.code(401).send({ code: 'sign_in_link_invalid', message: 'This sign-in link has expired or was already used; start Lifeboat again or sign in with a token' });
    }
    limiter.recordSuccess(req.ip);
    return reply.header('cache-control', 'no-store').send({ access_token: token });
  });
}
