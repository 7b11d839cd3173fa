// `GET /metrics`: the Prometheus metrics, for any valid token (read-only tokens included).

import type { FastifyInstance } from 'fastify';

export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

export function registerMetricsRoute(server: FastifyInstance, metrics: MetricsSource): void {
  server.get('/metrics', { config: { auth: 'read' } }, async (_req, reply) => {
    const text = await metrics.render();
    return reply.header('content-type', metrics.contentType).send(text);
  });
}
