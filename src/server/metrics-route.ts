// `GET /metrics`: the Prometheus metrics, for any valid token (read-only tokens included).

import type { FastifyInstance } from 'fastify';
import { PROMETHEUS_CONTENT_TYPE } from '../integrations/prometheus-text.js';

export interface MetricsSource {
  render(): Promise<string>;
}

export function registerMetricsRoute(server: FastifyInstance, metrics: MetricsSource): void {
  server.get('/metrics', { config: { auth: 'read' } }, async (_req, reply) => {
    const text = await metrics.render();
    return reply.header('content-type', PROMETHEUS_CONTENT_TYPE).send(text);
  });
}
