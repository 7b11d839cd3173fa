// `lifeboat serve` in this process with what its command starts beside the core: the metrics
// collector, the HTTP server (port 0) with /metrics, and the MQTT bridge — with a short reconnect
// backoff so broker-outage tests run quickly. Every one still running is stopped after the file.

import { afterAll } from 'vitest';
// Registered first, so temporary folders are removed after the servers using them have stopped.
import './tmp.js';
import type { LifeboatCore } from '../../src/core/lifeboat-core.js';
import { startServe, type ServeHandle } from '../../src/cli/serve-runner.js';
import { MetricsCollector } from '../../src/integrations/metrics.js';
import { MqttBridge, type MqttBridgeOptions } from '../../src/integrations/mqtt-bridge.js';
import { startHttpServer } from '../../src/server/http-server.js';
import { systemClock, type Clock } from '../../src/util/clock.js';

export interface RunningLifeboat {
  handle: ServeHandle;
  core: LifeboatCore;
  bridge: MqttBridge;
  metrics: MetricsCollector;
  /** The HTTP server, e.g. http://127.0.0.1:41234 */
  url: string;
  stop(): Promise<void>;
}

const running = new Set<RunningLifeboat>();

afterAll(async () => {
  await Promise.all([...running].map((r) => r.stop()));
});

/** A clock at the machine's pace that a test can move forward ("a second later"). */
export class ForwardClock implements Clock {
  private offsetMs = 0;

  now() {
    const t = systemClock.now();
    return { epochMs: t.epochMs + this.offsetMs, micros: t.micros };
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export async function startLifeboat(installation: string, bridgeOptions: MqttBridgeOptions = {}, clock?: Clock): Promise<RunningLifeboat> {
  process.env.LIFEBOAT_LOG_LEVEL ??= 'error';
  let parts: { bridge: MqttBridge; metrics: MetricsCollector; url: string } | null = null;
  const handle = await startServe({
    installation,
    clock,
    extra: async (core) => {
      const metrics = await MetricsCollector.start(core);
      const server = await startHttpServer(core, { port: 0, metrics, log: core.log });
      const bridge = MqttBridge.start(core, { configurationUrl: server.url, backoff: { initialMs: 200, maxMs: 1000 }, ...bridgeOptions });
      parts = { bridge, metrics, url: server.url };
      return async () => {
        await bridge.stop();
        await server.close();
        await metrics.close();
      };
    },
  });
  const started = parts as unknown as { bridge: MqttBridge; metrics: MetricsCollector; url: string };
  let stopping: Promise<void> | null = null;
  const lifeboat: RunningLifeboat = {
    handle,
    core: handle.core,
    ...started,
    stop: () => {
      stopping ??= handle.stop().then(() => {
        running.delete(lifeboat);
      });
      return stopping;
    },
  };
  running.add(lifeboat);
  return lifeboat;
}

export { eventually } from './eventually.js';
