// Connecting to the MQTT broker from the saved settings: the password the application keeps, TLS
// files read from disk, no automatic reconnects (the bridge does its own, with backoff), and a
// one-shot connection for CLI commands that resolves once the broker has accepted it.

import { readFile } from 'node:fs/promises';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { MqttSettings } from '../core/types.js';
import { redactUrl } from './mqtt-discovery.js';

export interface ConnectExtras {
  clientId: string;
  will?: { topic: string; payload: string; retain: boolean; qos: 0 | 1 | 2 };
  connectTimeoutMs?: number;
}

async function readTlsFile(kind: string, path: string | null): Promise<Buffer | undefined> {
  if (!path) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`Cannot read the MQTT TLS ${kind} file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export async function clientOptions(settings: MqttSettings, password: string | null, extras: ConnectExtras): Promise<IClientOptions> {
  const [ca, cert, key] = await Promise.all([
    readTlsFile('CA', settings.tls.ca_file),
    readTlsFile('client certificate', settings.tls.cert_file),
    readTlsFile('client key', settings.tls.key_file),
  ]);
  return {
    clientId: extras.clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: 30,
    connectTimeout: extras.connectTimeoutMs ?? 10_000,
    reconnectPeriod: 0,
    queueQoSZero: false,
    resubscribe: false,
    ...(settings.username !== null ? { username: settings.username } : {}),
    ...(password !== null ? { password } : {}),
    ...(extras.will ? { will: { ...extras.will, payload: Buffer.from(extras.will.payload) } } : {}),
    ...(ca ? { ca } : {}),
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    rejectUnauthorized: !settings.tls.insecure,
  };
}

/**
 * Drops a client at once. The library's own listeners stay attached: its 'close' handler stops the
 * connect timer, which would otherwise keep the process alive for the whole connect timeout.
 */
export function discardClient(client: MqttClient): void {
  client.on('error', () => undefined);
  client.end(true);
}

/** A client whose first connection succeeded; rejects with the broker's refusal or the network error. */
export async function connectOnce(url: string, options: IClientOptions): Promise<MqttClient> {
  const { connect } = await import('mqtt');
  return new Promise((resolve, reject) => {
    const client = connect(url, options);
    const settle = () => {
      client.off('connect', onConnect);
      client.off('error', fail);
      client.off('close', onClose);
    };
    const fail = (err: Error) => {
      settle();
      discardClient(client);
      reject(new Error(`Cannot connect to the MQTT broker ${redactUrl(url)}: ${err.message.trim()}`));
    };
    const onClose = () => fail(new Error('the connection was closed'));
    const onConnect = () => {
      settle();
      resolve(client);
    };
    client.once('connect', onConnect);
    client.once('error', fail);
    client.once('close', onClose);
  });
}

/** Publishes empty retained payloads, which delete retained messages (Home Assistant removes the entities). */
export async function clearRetained(client: MqttClient, topics: string[]): Promise<void> {
  await Promise.all(topics.map((topic) => client.publishAsync(topic, '', { qos: 1, retain: true })));
}
