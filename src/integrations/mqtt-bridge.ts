// The Backup device in Home Assistant over MQTT, for `lifeboat serve`: retained discovery and
// sensor states, automatic-backup events, an availability topic with a last will, buttons that
// start backup.create / backup.create_automatic. It follows the settings (turning it off removes
// the device), reconnects with backoff, and never holds up a backup: publishing is fire-and-forget,
// retained states are kept as "latest per topic" and republished on every connection, and events
// wait in a bounded queue while the broker is away. A broker offered by the environment (the
// add-on: the Supervisor's MQTT service) is used while the saved settings name none.

import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import { BUTTON_DEFINITIONS, type ButtonDefinition, type Logger, type MqttSettings, type StateChange } from '../core/types.js';
import { clearRetained, clientOptions, discardClient } from './mqtt-connection.js';
import {
  commandTopic,
  definitionOf,
  discoveryMessages,
  eventPayload,
  mqttLayout,
  PAYLOAD_OFFLINE,
  PAYLOAD_ONLINE,
  PAYLOAD_PRESS,
  redactUrl,
  retainedTopics,
  sensorPayload,
  sensorStates,
  stateTopic,
  type MqttLayout,
} from './mqtt-discovery.js';

export interface MqttBridgeOptions {
  /** The web UI address of `serve`, shown on the device page (the `configuration_url` setting wins). */
  configurationUrl?: string | null;
  /** Reconnect delays: doubled after each failed attempt up to the maximum, with jitter. */
  backoff?: { initialMs: number; maxMs: number };
  /** Events kept while the broker is unreachable; the oldest are dropped first. */
  maxQueuedEvents?: number;
  /**
   * A broker the environment offers (the add-on: Home Assistant's MQTT service, from the
   * Supervisor), used while the saved settings name no broker: the device appears with no setup.
   */
  offeredBroker?: OfferedBroker | null;
}

export interface OfferedBroker {
  url: string;
  username: string | null;
  password: string | null;
}

const DEFAULT_BACKOFF = { initialMs: 1000, maxMs: 60_000 };
const CLOSE_TIMEOUT_MS = 3000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the broker within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

interface SessionDeps {
  settings: MqttSettings;
  layout: MqttLayout;
  configurationUrl: string | null;
  password: () => Promise<string | null>;
  onPress: (button: ButtonDefinition) => void;
  log: Logger;
  backoff: { initialMs: number; maxMs: number };
  maxQueuedEvents: number;
}

/** One configuration's connection: its desired retained topics and its queue of events. */
class MqttSession {
  private client: MqttClient | null = null;
  private connected = false;
  private closed = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | null = null;
  private lastError: string | null = null;
  private everConnected = false;
  private droppedEvents = 0;
  private readonly retained = new Map<string, string>();
  private readonly queued: { topic: string; payload: string }[] = [];
  private readonly clientId: string;

  constructor(
    private readonly deps: SessionDeps,
    initialStates: Map<string, string>,
  ) {
    this.clientId = `lifeboat-${deps.layout.nodeId}-${randomBytes(3).toString('hex')}`;
    for (const m of discoveryMessages(deps.layout, deps.configurationUrl)) this.retained.set(m.topic, JSON.stringify(m.payload));
    for (const [topic, payload] of initialStates) this.retained.set(topic, payload);
  }

  get layout(): MqttLayout {
    return this.deps.layout;
  }

  get url(): string {
    return this.deps.settings.url ?? '';
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Why the latest attempt to reach the broker failed; null once connected. */
  get problem(): string | null {
    return this.lastError;
  }

  start(): void {
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const { settings, layout } = this.deps;
    let options;
    try {
      options = await clientOptions(settings, await this.deps.password(), {
        clientId: this.clientId,
        will: { topic: layout.availability, payload: PAYLOAD_OFFLINE, retain: true, qos: 1 },
      });
    } catch (err) {
      this.noteError(err as Error);
      this.scheduleReconnect();
      return;
    }
    // The MQTT client library is loaded only when the integration is turned on.
    const { connect } = await import('mqtt');
    if (this.closed) return;
    const client = connect(this.url, options);
    this.client = client;
    client.on('connect', () => this.onConnect(client));
    client.on('message', (topic, payload, packet) => {
      if (client === this.client) this.onMessage(topic, payload.toString('utf8'), packet.retain);
    });
    client.on('error', (err) => {
      if (client === this.client) this.noteError(err);
    });
    client.on('close', () => this.onClose(client));
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client || this.closed) return;
    this.connected = true;
    this.attempt = 0;
    this.deps.log.info(this.everConnected ? 'Reconnected to the MQTT broker' : 'Connected to the MQTT broker', { url: redactUrl(this.url) });
    this.everConnected = true;
    this.lastError = null;
    const { layout } = this.deps;
    const topics = [...BUTTON_DEFINITIONS.map((b) => commandTopic(layout, b)), layout.haStatus];
    client.subscribe(topics, { qos: 1 }, (err) => {
      if (err) this.noteError(err);
    });
    this.publishAll();
    if (this.droppedEvents) {
      this.deps.log.warn(`${this.droppedEvents} backup event(s) could not be sent while the MQTT broker was away`);
      this.droppedEvents = 0;
    }
    for (const m of this.queued.splice(0)) this.publish(m.topic, m.payload, false);
  }

  /** Availability, discovery and states: everything retained, in that order. */
  private publishAll(): void {
    this.publish(this.deps.layout.availability, PAYLOAD_ONLINE, true);
    for (const [topic, payload] of this.retained) this.publish(topic, payload, true);
  }

  private onMessage(topic: string, payload: string, retained: boolean): void {
    const { layout } = this.deps;
    if (topic === layout.haStatus) {
      // Home Assistant came back: it may have lost what it had; send everything again.
      if (payload === PAYLOAD_ONLINE && !retained) this.publishAll();
      return;
    }
    const button = BUTTON_DEFINITIONS.find((b) => commandTopic(layout, b) === topic);
    // A retained press would start a backup on every connection: only live presses count.
    if (!button || retained || payload !== PAYLOAD_PRESS) return;
    this.deps.onPress(button);
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    if (this.connected && !this.closed) this.deps.log.warn('Lost the connection to the MQTT broker; reconnecting', { url: redactUrl(this.url) });
    this.connected = false;
    this.client = null;
    discardClient(client);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.timer) return;
    const { initialMs, maxMs } = this.deps.backoff;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(this.attempt, 20));
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, base * (0.75 + Math.random() * 0.25));
    this.timer.unref?.();
  }

  private noteError(err: Error): void {
    if (err.message === this.lastError) return;
    this.lastError = err.message;
    this.deps.log.warn('MQTT broker unavailable; backups go on, states are sent when it is back', { url: redactUrl(this.url), error: err.message });
  }

  private publish(topic: string, payload: string, retain: boolean): void {
    const client = this.client;
    if (!client || !this.connected) return;
    client.publish(topic, payload, { qos: 1, retain }, (err) => {
      if (err) this.noteError(err);
    });
  }

  /** A retained state: only the latest per topic is kept, and sent whenever connected. */
  setRetained(topic: string, payload: string): void {
    if (this.retained.get(topic) === payload) return;
    this.retained.set(topic, payload);
    this.publish(topic, payload, true);
  }

  /** An event (not retained: Home Assistant ignores replayed events); queued while disconnected. */
  sendEvent(topic: string, payload: string): void {
    if (this.connected) {
      this.publish(topic, payload, false);
      return;
    }
    this.queued.push({ topic, payload });
    while (this.queued.length > this.deps.maxQueuedEvents) {
      this.queued.shift();
      this.droppedEvents++;
    }
  }

  /** Ends the connection: offline on a clean stop, or every retained topic cleared on removal. */
  async close(remove: boolean): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const client = this.client;
    this.client = null;
    if (!client) return;
    if (this.connected) {
      this.connected = false;
      try {
        await withTimeout(
          remove
            ? clearRetained(client, retainedTopics(this.deps.layout))
            : client.publishAsync(this.deps.layout.availability, PAYLOAD_OFFLINE, { qos: 1, retain: true }).then(() => undefined),
          CLOSE_TIMEOUT_MS,
        );
      } catch (err) {
        this.deps.log.warn(remove ? 'Could not remove the Backup device from the MQTT broker' : 'Could not mark Lifeboat offline on the MQTT broker', {
          error: (err as Error).message,
        });
      }
    }
    client.on('error', () => undefined);
    await withTimeout(client.endAsync(), CLOSE_TIMEOUT_MS).catch(() => discardClient(client));
  }
}

/** Starts backup.create (local, no password, with the database) or backup.create_automatic. */
function runService(core: LifeboatCore, button: ButtonDefinition): Promise<unknown> {
  if (button.service === 'backup.create') return core.create.service();
  return core.create.automatic().then((handle) => handle.done);
}

export class MqttBridge {
  private session: MqttSession | null = null;
  private sessionKey: string | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];

  private constructor(
    private readonly core: LifeboatCore,
    private readonly opts: MqttBridgeOptions,
  ) {}

  /** Starts following the settings; connects in the background when MQTT is enabled. */
  static start(core: LifeboatCore, opts: MqttBridgeOptions = {}): MqttBridge {
    const bridge = new MqttBridge(core, opts);
    bridge.unsubscribe.push(core.status.onEntityChange((c) => bridge.onEntityChange(c)));
    bridge.unsubscribe.push(core.settings.onChange((c) => bridge.apply(c.config.mqtt)));
    bridge.apply(core.settings.config.mqtt);
    return bridge;
  }

  private get log(): Logger {
    return this.core.log;
  }

  /** True while connected to the broker. */
  get connected(): boolean {
    return this.session?.isConnected ?? false;
  }

  /** Why the broker cannot be reached right now (null when connected or off). */
  get problem(): string | null {
    return this.session?.problem ?? null;
  }

  /** Resolves once the latest settings have been applied. */
  settled(): Promise<void> {
    return this.chain;
  }

  private apply(settings: MqttSettings): void {
    this.chain = this.chain
      .then(() => this.reconfigure(settings))
      .catch((err: unknown) => this.log.warn('Could not apply the MQTT settings', { error: (err as Error).message }));
  }

  private configurationUrl(settings: MqttSettings): string | null {
    return settings.configuration_url ?? this.opts.configurationUrl ?? null;
  }

  /** The saved settings, or the offered broker while they name none. */
  private inForce(saved: MqttSettings): { settings: MqttSettings; password: () => Promise<string | null> } {
    const offered = this.opts.offeredBroker;
    if (saved.url || !offered) return { settings: saved, password: () => this.core.settings.mqttPassword() };
    return { settings: { ...saved, enabled: true, url: offered.url, username: offered.username }, password: async () => offered.password };
  }

  private async reconfigure(saved: MqttSettings): Promise<void> {
    if (this.stopped) return;
    const { settings, password } = this.inForce(saved);
    const wanted = settings.enabled && settings.url ? settings : null;
    const key = wanted ? JSON.stringify([wanted, this.configurationUrl(wanted)]) : null;
    if (key === this.sessionKey) return;
    const layout = wanted ? mqttLayout(wanted, this.core.status.instanceId) : null;
    const old = this.session;
    this.session = null;
    this.sessionKey = key;
    if (old) {
      const moved = !layout || old.layout.base !== layout.base || old.layout.discoveryPrefix !== layout.discoveryPrefix || old.url !== wanted?.url;
      await old.close(moved);
      if (!wanted) this.log.info('MQTT is off: the Backup device was removed from Home Assistant');
    }
    if (!wanted || !layout) return;
    this.session = new MqttSession(
      {
        settings: wanted,
        layout,
        configurationUrl: this.configurationUrl(wanted),
        password,
        onPress: (button) => this.press(button),
        log: this.log,
        backoff: this.opts.backoff ?? DEFAULT_BACKOFF,
        maxQueuedEvents: this.opts.maxQueuedEvents ?? 50,
      },
      sensorStates(layout, this.core.status.entities()),
    );
    this.session.start();
  }

  private onEntityChange(change: StateChange): void {
    const session = this.session;
    const def = definitionOf(change.entity_id);
    if (!session || !def) return;
    const topic = stateTopic(session.layout, def);
    if (def.platform === 'sensor') {
      session.setRetained(topic, sensorPayload(change.new_state.state));
      return;
    }
    const payload = eventPayload(change.new_state);
    if (payload) session.sendEvent(topic, payload);
  }

  private press(button: ButtonDefinition): void {
    this.log.info(`${button.name} pressed in Home Assistant`, { service: button.service });
    runService(this.core, button).catch((err: unknown) =>
      this.log.warn(`${button.service} from Home Assistant did not succeed`, { error: (err as Error).message }),
    );
  }

  /** Marks Lifeboat offline and disconnects (the device stays in Home Assistant, unavailable). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    await this.chain;
    const session = this.session;
    this.session = null;
    await session?.close(false);
  }
}
