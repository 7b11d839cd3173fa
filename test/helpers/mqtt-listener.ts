// An MQTT subscriber that plays Home Assistant in tests: it records every message (topic, payload,
// retain flag) on the topics it subscribed to, waits for messages, and presses buttons.

import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

export interface BrokerAccess {
  url: string;
  username: string;
  password: string;
}

const BARRIER_PREFIX = 'lifeboat-test/barrier/';

export class MqttListener {
  readonly messages: Received[] = [];
  private readonly waiters = new Set<() => void>();

  private constructor(readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => {
      if (topic.startsWith(BARRIER_PREFIX)) return;
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain, at: Date.now() });
      for (const w of [...this.waiters]) w();
    });
  }

  static async connect(broker: BrokerAccess, topics: string[]): Promise<MqttListener> {
    const client = await mqtt.connectAsync(broker.url, {
      username: broker.username,
      password: broker.password,
      reconnectPeriod: 0,
      clientId: `ha-test-${Math.random().toString(16).slice(2, 10)}`,
    });
    const listener = new MqttListener(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return listener;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  latest(topic: string): Received | undefined {
    return this.on(topic).at(-1);
  }

  /** Resolves with the first recorded message (from index `from` on) that matches. */
  waitFor(pred: (m: Received) => boolean, what: string, opts: { timeoutMs?: number; from?: number } = {}): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.messages.slice(opts.from ?? 0).find(pred);
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no MQTT message: ${what} (got ${this.messages.map((m) => `${m.topic}=${m.payload.slice(0, 60)}`).join(' | ')})`));
      }, opts.timeoutMs ?? 20_000);
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Resolves once the broker has delivered everything it queued for this subscriber before now —
   * the retained messages of its subscriptions included: it sends itself a marker and waits for it
   * (the broker keeps one connection's messages in order). For checks that something did NOT arrive.
   */
  async barrier(): Promise<void> {
    const topic = `${BARRIER_PREFIX}${Math.random().toString(16).slice(2, 10)}`;
    const seen = new Promise<void>((resolve) => {
      const onMessage = (t: string) => {
        if (t !== topic) return;
        this.client.off('message', onMessage);
        resolve();
      };
      this.client.on('message', onMessage);
    });
    await this.client.subscribeAsync(topic, { qos: 1 });
    await this.publish(topic, 'barrier');
    await seen;
    await this.client.unsubscribeAsync(topic);
  }

  async publish(topic: string, payload: string, retain = false): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain });
  }

  async close(): Promise<void> {
    await this.client.endAsync().catch(() => this.client.end(true));
  }
}
