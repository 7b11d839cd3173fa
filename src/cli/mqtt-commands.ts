// `lifeboat mqtt configure|enable|disable|status`: pointing Lifeboat at Home Assistant's MQTT broker.
// The password is read from a file or stdin (never from the command line) and kept in the secrets
// file; `configure` checks the connection before saving; `disable` removes the Backup device from
// Home Assistant by clearing Lifeboat's retained topics.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { BUTTON_DEFINITIONS, ENTITY_DEFINITIONS, MqttSettingsSchema, type MqttSettings } from '../core/types.js';
import { clearRetained, clientOptions, connectOnce } from '../integrations/mqtt-connection.js';
import { mqttLayout, redactUrl, retainedTopics } from '../integrations/mqtt-discovery.js';
import { readStdinText, UsageError } from './common.js';
import { openCore } from './context.js';

interface ConfigureOptions {
  url: string;
  username?: string;
  passwordFile?: string;
  passwordStdin?: boolean;
  password?: boolean;
  prefix?: string;
  baseTopic?: string;
  nodeId?: string;
  ca?: string;
  cert?: string;
  key?: string;
  insecure?: boolean;
  configurationUrl?: string;
  check?: boolean;
}

async function readPassword(opts: ConfigureOptions): Promise<string | null | undefined> {
  if (opts.password === false) return null;
  if (opts.passwordFile && opts.passwordStdin) throw new UsageError('Give either --password-file or --password-stdin, not both');
  let text: string | undefined;
  if (opts.passwordFile) {
    text = await readFile(opts.passwordFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`Cannot read the password file ${opts.passwordFile}: ${err.code ?? err.message}`);
    });
  } else if (opts.passwordStdin) {
    text = await readStdinText();
  }
  return text === undefined ? undefined : (text.split(/\r?\n/)[0] ?? '');
}

function absolute(path: string | undefined, current: string | null): string | null {
  return path === undefined ? current : path === '' ? null : resolve(path);
}

function describe(s: MqttSettings, passwordSet: boolean): string[] {
  return [
    `MQTT:       ${s.enabled ? 'on' : 'off'}`,
    `Broker:     ${s.url ? redactUrl(s.url) : 'not configured'}`,
    `User:       ${s.username ?? '(none)'}; password ${passwordSet ? 'saved' : 'not set'}`,
    `Discovery:  ${s.discovery_prefix}; topics under ${s.base_topic}/${s.node_id ?? '<from the instance id>'}`,
    `TLS:        ${[s.tls.ca_file && `CA ${s.tls.ca_file}`, s.tls.cert_file && `client certificate ${s.tls.cert_file}`, s.tls.insecure && 'any server certificate accepted'].filter(Boolean).join(', ') || (s.url?.startsWith('mqtts') || s.url?.startsWith('wss') ? 'system CAs' : 'none')}`,
  ];
}

/** Connects once with the given settings (10 s at most) and runs `fn` with the client. */
async function withBroker<T>(settings: MqttSettings, password: string | null, fn: (client: import('mqtt').MqttClient) => Promise<T>): Promise<T> {
  if (!settings.url) throw new UsageError('No MQTT broker is configured (lifeboat mqtt configure --url …)');
  const options = await clientOptions(settings, password, { clientId: `lifeboat-cli-${process.pid}`, connectTimeoutMs: 10_000 });
  const client = await connectOnce(settings.url, options);
  try {
    return await fn(client);
  } finally {
    await client.endAsync().catch(() => client.end(true));
  }
}

export function registerMqttCommands(program: Command): void {
  const mqtt = program.command('mqtt').description("publish the Backup entities to Home Assistant through an MQTT broker (MQTT discovery)");

  mqtt
    .command('configure')
    .description('set the broker and turn publishing on (checks the connection first)')
    .requiredOption('--url <url>', 'the broker, e.g. mqtt://homeassistant.local:1883 or mqtts://broker:8883')
    .option('--username <name>', 'user name at the broker')
    .option('--password-file <file>', "a file whose first line is the broker password")
    .option('--password-stdin', 'read the broker password from standard input')
    .option('--no-password', 'connect without a password (removes a saved one)')
    .option('--prefix <topic>', "Home Assistant's discovery prefix", 'homeassistant')
    .option('--base-topic <topic>', "the first part of Lifeboat's own topics")
    .option('--node-id <id>', 'tells several Lifeboats on one broker apart (default: from the instance id)')
    .option('--ca <file>', 'CA certificate(s) for a TLS broker (PEM); "" for the system CAs')
    .option('--cert <file>', 'client certificate (PEM); "" for none')
    .option('--key <file>', 'client key (PEM); "" for none')
    .option('--insecure', 'accept any server certificate (self-signed brokers)')
    .option('--no-insecure', 'check the server certificate again')
    .option('--configuration-url <url>', "the web UI address shown on the device's page (default: where serve listens)")
    .option('--no-check', 'save without trying the connection')
    .action(async (opts: ConfigureOptions, cmd: Command) => {
      if (/^[a-z]+:\/\/[^/]*@/i.test(opts.url)) throw new UsageError('Put no credentials in the URL: use --username and --password-file');
      const core = await openCore(cmd);
      const current = core.settings.config.mqtt;
      const parsed = MqttSettingsSchema.safeParse({
        ...current,
        enabled: true,
        url: opts.url,
        username: opts.username ?? current.username,
        discovery_prefix: opts.prefix ?? current.discovery_prefix,
        base_topic: opts.baseTopic ?? current.base_topic,
        node_id: opts.nodeId ?? current.node_id,
        tls: {
          ca_file: absolute(opts.ca, current.tls.ca_file),
          cert_file: absolute(opts.cert, current.tls.cert_file),
          key_file: absolute(opts.key, current.tls.key_file),
          insecure: opts.insecure ?? current.tls.insecure,
        },
        configuration_url: opts.configurationUrl ?? current.configuration_url,
      });
      if (!parsed.success) throw new UsageError(`Invalid MQTT settings: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      const next = parsed.data;
      const given = await readPassword(opts);
      const password = given === undefined ? await core.settings.mqttPassword() : given;
      if (opts.check !== false) {
        await withBroker(next, password, async () => undefined).catch((err: Error) => {
          throw new Error(`${err.message}. Nothing was saved (use --no-check to save anyway).`);
        });
      }
      if (given !== undefined) await core.settings.setMqttPassword(given);
      await core.settings.setMqtt(next);
      const layout = mqttLayout(next, core.status.instanceId);
      process.stdout.write(
        `${opts.check !== false ? 'Connected to the broker. ' : ''}MQTT settings saved; \`lifeboat serve\` publishes the Backup device under ${layout.discoveryPrefix}/…/lifeboat_${layout.nodeId}/.\n`,
      );
    });

  mqtt
    .command('enable')
    .description('turn publishing on again with the saved broker settings')
    .action(async (_opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      const current = core.settings.config.mqtt;
      if (!current.url) throw new UsageError('No MQTT broker is configured (lifeboat mqtt configure --url …)');
      await core.settings.setMqtt({ ...current, enabled: true });
      process.stdout.write('MQTT publishing is on.\n');
    });

  mqtt
    .command('disable')
    .description('turn publishing off and remove the Backup device from Home Assistant')
    .option('--keep-device', 'leave the device in Home Assistant (shown unavailable)')
    .option('--forget-password', 'also delete the saved broker password')
    .action(async (opts: { keepDevice?: boolean; forgetPassword?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const current = core.settings.config.mqtt;
      const password = await core.settings.mqttPassword();
      await core.settings.setMqtt({ ...current, enabled: false });
      if (opts.forgetPassword) await core.settings.setMqttPassword(null);
      process.stdout.write('MQTT publishing is off.\n');
      if (opts.keepDevice || !current.url) return;
      const topics = retainedTopics(mqttLayout(current, core.status.instanceId));
      try {
        await withBroker(current, password, (client) => clearRetained(client, topics));
        process.stdout.write(`Removed the Backup device from Home Assistant (${topics.length} retained topics cleared).\n`);
      } catch (err) {
        process.stderr.write(`lifeboat: warning: could not remove the Backup device from Home Assistant: ${(err as Error).message}\n`);
      }
    });

  mqtt
    .command('status')
    .description('show the MQTT settings; check the broker and whether `lifeboat serve` is online there')
    .option('--json', 'print as JSON')
    .option('--no-check', 'do not connect to the broker')
    .action(async (opts: { json?: boolean; check?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const settings = core.settings.config.mqtt;
      const password = await core.settings.mqttPassword();
      const layout = mqttLayout(settings, core.status.instanceId);
      let broker: { reachable: boolean; error: string | null; availability: string | null } | null = null;
      if (opts.check !== false && settings.url) {
        broker = await withBroker(settings, password, async (client) => {
          // The retained availability says whether `serve` is connected (or its last will fired).
          const availability = await new Promise<string | null>((done) => {
            const timer = setTimeout(() => done(null), 1500);
            client.on('message', (topic, payload) => {
              if (topic !== layout.availability) return;
              clearTimeout(timer);
              done(payload.toString('utf8') || null);
            });
            client.subscribe(layout.availability, { qos: 1 });
          });
          return { reachable: true, error: null, availability };
        }).catch((err: Error) => ({ reachable: false, error: err.message, availability: null }));
      }
      const entities = [...ENTITY_DEFINITIONS.map((d) => d.entityId), ...BUTTON_DEFINITIONS.map((b) => b.entityId)];
      if (opts.json) {
        const shown = { ...settings, url: settings.url ? redactUrl(settings.url) : null };
        process.stdout.write(`${JSON.stringify({ settings: shown, password_set: password !== null, availability_topic: layout.availability, entities, broker }, null, 2)}\n`);
        return;
      }
      const lines = describe(settings, password !== null);
      lines.push(`Entities:   ${entities.join(', ')}`);
      if (broker) {
        lines.push(broker.reachable ? 'Broker:     reachable' : `Broker:     unreachable (${broker.error ?? 'unknown error'})`);
        if (broker.reachable) lines.push(`Lifeboat:   ${broker.availability ?? 'has not published yet'} (${layout.availability})`);
      }
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
