// The Backup device in Home Assistant over a real Mosquitto broker (127.0.0.1, password required):
// `lifeboat mqtt configure` checks the credentials; a fresh subscriber playing Home Assistant gets
// valid retained discovery for every entity and the states; the Create backup button starts a real
// backup (in_progress → completed), the automatic one updates the timestamp sensors, and a forced
// failure sends `failed` with its reason; a broker outage during a backup changes nothing for the
// backup and everything is sent again on reconnect; turning MQTT off removes the device; a killed
// `lifeboat serve` goes offline through its last will, a stopped one says so itself; a TLS broker
// with its own CA and client certificates works, and an untrusted certificate is refused.
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENTITY } from '../../src/entities/entity-definitions.js';
import { VERSION } from '../../src/version.js';
import { runCli } from '../helpers/cli.js';
import { componentOf, discoveryProblems } from '../helpers/ha-mqtt-schema.js';
import { makeInstallation } from '../helpers/installation.js';
import { MqttListener, type Received } from '../helpers/mqtt-listener.js';
import { eventually, ForwardClock, startLifeboat, type RunningLifeboat } from '../helpers/serve-integrations.js';
import { startCli } from '../helpers/spawn-cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeCertificates, start, type Mosquitto } from '../servers/mosquitto.js';
import { dataDir } from '../helpers/data-dir.js';

const TOPICS = ['homeassistant/#', 'lifeboat/#'];
const configTopicOf = (node: string) => new RegExp(`^homeassistant/(sensor|event|button)/lifeboat_${node}/[a-z_]+/config$`);

let broker: Mosquitto;
let secretsDir: string;

beforeAll(async () => {
  broker = await start();
  secretsDir = await tmpDir('lifeboat-mqtt-pw-');
  await writeFile(join(secretsDir, 'right'), `${broker.password}\n`, { mode: 0o600 });
  await writeFile(join(secretsDir, 'wrong'), 'not-the-password\n', { mode: 0o600 });
});

afterAll(async () => {
  await broker?.stop();
});

function configure(inst: string, node: string, passwordFile: string, extra: string[] = []) {
  return runCli(['-c', inst, 'mqtt', 'configure', '--url', broker.url, '--username', broker.username, '--password-file', join(secretsDir, passwordFile), '--node-id', node, ...extra]);
}

/** Waits until the 7 config topics of `node` have arrived; returns them by default entity id. */
async function discovery(ha: MqttListener, node: string): Promise<Map<string, { topic: string; payload: Record<string, unknown>; retain: boolean }>> {
  const re = configTopicOf(node);
  await eventually(() => new Set(ha.messages.filter((m) => re.test(m.topic) && m.payload !== '').map((m) => m.topic)).size === 7, 'seven discovery messages');
  const out = new Map<string, { topic: string; payload: Record<string, unknown>; retain: boolean }>();
  for (const m of ha.messages.filter((x) => re.test(x.topic) && x.payload !== '')) {
    const payload = JSON.parse(m.payload) as Record<string, unknown>;
    out.set(payload.default_entity_id as string, { topic: m.topic, payload, retain: m.retain });
  }
  return out;
}

/**
 * Resolves once Lifeboat has handled every message the broker queued for it before now and `ha`
 * has received everything Lifeboat sent before that: Home Assistant announcing itself makes
 * Lifeboat send its availability again, and each connection's messages stay in order.
 */
async function lifeboatCaughtUp(ha: MqttListener, node: string): Promise<void> {
  const from = ha.messages.length;
  await ha.publish('homeassistant/status', 'online');
  await ha.waitFor((m) => m.topic === `lifeboat/${node}/availability` && m.payload === 'online', 'availability sent again', { from });
}

const eventsOf = (msgs: Received[]) => msgs.map((m) => JSON.parse(m.payload) as { event_type: string; backup_stage: string | null; failed_reason: string | null });

describe('the Backup device over MQTT (lifeboat serve in this process)', () => {
  let inst: string;
  let lb: RunningLifeboat;
  let ha: MqttListener;
  const clock = new ForwardClock();
  let topics: { managerState: string; event: string; lastAttempted: string; lastSuccessful: string; nextScheduled: string; create: string; createAutomatic: string };

  beforeAll(async () => {
    inst = await tmpDir();
    await makeInstallation(inst);
  });

  afterAll(async () => {
    await ha?.close();
  });

  it('lifeboat mqtt configure refuses wrong credentials and keeps the password out of the settings', async () => {
    const refused = await configure(inst, 'home1', 'wrong');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Not authorized/);
    expect(refused.stderr).toMatch(/Nothing was saved/);
    expect(refused.stderr).not.toContain('not-the-password');

    const ok = await configure(inst, 'home1', 'right');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/Connected to the broker/);
    const settingsText = await readFile(join(dataDir(inst), 'settings.json'), 'utf8');
    const doc = JSON.parse(settingsText) as { minor_version: number; data: { mqtt: Record<string, unknown> } };
    expect(doc.minor_version).toBeGreaterThanOrEqual(3);
    expect(doc.data.mqtt).toMatchObject({ enabled: true, url: broker.url, username: broker.username, node_id: 'home1', discovery_prefix: 'homeassistant' });
    expect(settingsText).not.toContain(broker.password);
    const secretsPath = join(dataDir(inst), 'secrets.json');
    expect(await readFile(secretsPath, 'utf8')).toContain(broker.password);
    expect((await stat(secretsPath)).mode & 0o777).toBe(0o600);

    const status = await runCli(['-c', inst, 'mqtt', 'status', '--json']);
    expect(status.code).toBe(0);
    const shown = JSON.parse(status.stdout) as { password_set: boolean; broker: { reachable: boolean; availability: string | null } };
    expect(shown.password_set).toBe(true);
    expect(shown.broker).toEqual({ reachable: true, error: null, availability: null });
    expect(status.stdout).not.toContain(broker.password);
  });

  it('a fresh subscriber playing Home Assistant receives valid retained discovery for every entity, availability and states', async () => {
    lb = await startLifeboat(inst, {}, clock);
    await eventually(() => lb.bridge.connected, 'connected to the broker');
    ha = await MqttListener.connect(broker, TOPICS);
    const configs = await discovery(ha, 'home1');
    expect([...configs.keys()].sort()).toEqual([
      'button.backup_create_automatic_backup',
      'button.backup_create_backup',
      'event.backup_automatic_backup',
      'sensor.backup_backup_manager_state',
      'sensor.backup_last_attempted_automatic_backup',
      'sensor.backup_last_successful_automatic_backup',
      'sensor.backup_next_scheduled_automatic_backup',
    ]);
    for (const [id, c] of configs) {
      expect(c.retain, id).toBe(true);
      expect(discoveryProblems(componentOf(c.topic) as string, c.payload), id).toEqual([]);
      expect(c.payload.device).toEqual({
        identifiers: ['lifeboat_home1'],
        name: 'Backup',
        manufacturer: 'Lifeboat',
        model: 'Lifeboat Backup',
        sw_version: VERSION,
        configuration_url: lb.url,
      });
      expect(c.payload).toMatchObject({ availability_topic: 'lifeboat/home1/availability', payload_available: 'online', payload_not_available: 'offline' });
    }
    const p = (id: string) => configs.get(id)?.payload as Record<string, unknown>;
    expect(p('sensor.backup_backup_manager_state')).toMatchObject({ device_class: 'enum', options: ['idle', 'create_backup', 'blocked', 'receive_backup', 'restore_backup'] });
    for (const id of ['sensor.backup_next_scheduled_automatic_backup', 'sensor.backup_last_attempted_automatic_backup', 'sensor.backup_last_successful_automatic_backup']) {
      expect(p(id).device_class).toBe('timestamp');
    }
    expect(p('event.backup_automatic_backup').event_types).toEqual(['completed', 'failed', 'in_progress']);
    topics = {
      managerState: p('sensor.backup_backup_manager_state').state_topic as string,
      event: p('event.backup_automatic_backup').state_topic as string,
      lastAttempted: p('sensor.backup_last_attempted_automatic_backup').state_topic as string,
      lastSuccessful: p('sensor.backup_last_successful_automatic_backup').state_topic as string,
      nextScheduled: p('sensor.backup_next_scheduled_automatic_backup').state_topic as string,
      create: p('button.backup_create_backup').command_topic as string,
      createAutomatic: p('button.backup_create_automatic_backup').command_topic as string,
    };
    const availability = await ha.waitFor((m) => m.topic === 'lifeboat/home1/availability', 'availability');
    expect(availability).toMatchObject({ payload: 'online', retain: true });
    const state = await ha.waitFor((m) => m.topic === topics.managerState, 'manager state');
    expect(state).toMatchObject({ payload: 'idle', retain: true });
    // Nothing has happened yet: the timestamp sensors are unknown.
    for (const t of [topics.lastAttempted, topics.lastSuccessful, topics.nextScheduled]) {
      expect((await ha.waitFor((m) => m.topic === t, t)).payload).toBe('None');
    }
    // The event entity has no retained state: Home Assistant ignores replayed events.
    expect(ha.on(topics.event)).toEqual([]);
    // Home Assistant's birth message (after it restarts) brings everything again.
    const sent = ha.messages.filter((m) => configTopicOf('home1').test(m.topic)).length;
    const before = ha.messages.length;
    await ha.publish('homeassistant/status', 'online');
    await eventually(() => ha.messages.filter((m) => configTopicOf('home1').test(m.topic)).length === sent + 7, 'discovery sent again');
    // The states follow the discovery; the next test counts state messages from here on.
    await ha.waitFor((m) => m.topic === topics.managerState && m.payload === 'idle', 'manager state sent again', { from: before });
  });

  it('pressing "Create backup" starts a real backup; the event goes in_progress → completed and the state create_backup → idle', async () => {
    const from = ha.messages.length;
    await ha.publish(topics.create, 'PRESS');
    await ha.waitFor((m) => m.topic === topics.event && m.payload.includes('"completed"'), 'completed event', { from });
    await ha.waitFor((m) => m.topic === topics.managerState && m.payload === 'idle', 'back to idle', { from });
    const events = eventsOf(ha.on(topics.event));
    expect(events[0]).toEqual({ event_type: 'in_progress', backup_stage: null, failed_reason: null });
    expect(events.map((e) => e.backup_stage).filter(Boolean)).toEqual(['home_assistant', 'upload_to_agents', 'cleaning_up']);
    expect(events.at(-1)).toEqual({ event_type: 'completed', backup_stage: null, failed_reason: null });
    expect(ha.on(topics.event).every((m) => !m.retain)).toBe(true);
    expect(ha.messages.slice(from).filter((m) => m.topic === topics.managerState).map((m) => m.payload)).toEqual(['create_backup', 'idle']);
    const { backups } = await lb.core.backups.list();
    expect(backups).toHaveLength(1);
    expect(backups[0]?.name).toMatch(/^Custom backup /);
    expect(backups[0]?.agents['backup.local']?.protected).toBe(false);
    expect(backups[0]?.database_included).toBe(true);
  });

  it('"Create automatic backup" runs backup.create_automatic; the timestamp sensors follow the entities', async () => {
    await lb.core.settings.update({ create_backup: { agent_ids: ['backup.local'] } });
    const from = ha.messages.length;
    await ha.publish(topics.createAutomatic, 'PRESS');
    await ha.waitFor((m) => m.topic === topics.event && m.payload.includes('"completed"'), 'completed event', { from });
    const success = await ha.waitFor((m) => m.topic === topics.lastSuccessful && m.payload !== 'None', 'last successful', { from });
    const attempted = await ha.waitFor((m) => m.topic === topics.lastAttempted && m.payload !== 'None', 'last attempted', { from });
    expect(success.retain).toBe(false); // live update to an existing subscriber
    expect(success.payload).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    expect(success.payload).toBe(lb.core.status.entity(ENTITY.lastSuccessful)?.state);
    expect(attempted.payload).toBe(lb.core.status.entity(ENTITY.lastAttempted)?.state);
    const { backups } = await lb.core.backups.list();
    expect(backups.filter((b) => b.with_automatic_settings === true)).toHaveLength(1);
  });

  it('a forced failure sends the failed event with its reason; last attempted moves, last successful does not', async () => {
    await lb.core.settings.update({ create_backup: { agent_ids: ['backup.unplugged_disk'] } });
    const successBefore = lb.core.status.entity(ENTITY.lastSuccessful)?.state;
    clock.advance(1000); // last attempted has whole seconds: this attempt is a second later
    const from = ha.messages.length;
    await ha.publish(topics.createAutomatic, 'PRESS');
    const failed = await ha.waitFor((m) => m.topic === topics.event && m.payload.includes('"failed"'), 'failed event', { from });
    expect(JSON.parse(failed.payload)).toEqual({ event_type: 'failed', backup_stage: null, failed_reason: 'backup_manager_error' });
    const attempted = await ha.waitFor((m) => m.topic === topics.lastAttempted, 'last attempted', { from });
    expect(attempted.payload).toBe(lb.core.status.entity(ENTITY.lastAttempted)?.state);
    expect(ha.messages.slice(from).filter((m) => m.topic === topics.lastSuccessful)).toEqual([]);
    expect(lb.core.status.entity(ENTITY.lastSuccessful)?.state).toBe(successBefore);
    await lb.core.settings.update({ create_backup: { agent_ids: ['backup.local'] } });
  });

  it('with the broker down a backup completes as usual; on reconnect everything is sent again, the events of the outage included', async () => {
    const port = broker.port;
    await ha.close();
    await broker.stop();
    await eventually(() => !lb.bridge.connected, 'disconnected');
    const t0 = Date.now();
    const result = await lb.core.create.service();
    expect(result.failedAgentIds).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(lb.bridge.connected).toBe(false);
    expect(lb.core.status.state).toBe('idle');

    // Keep Lifeboat out (wrong password) until the subscriber is listening, then let it in: the
    // bridge reads the password again at every attempt.
    await lb.core.settings.setMqttPassword('not-yet');
    broker = await start({ port });
    ha = await MqttListener.connect(broker, TOPICS);
    await eventually(() => /not authori[sz]ed/i.test(lb.bridge.problem ?? ''), 'refused by the broker');
    expect(lb.bridge.connected).toBe(false);
    await lb.core.settings.setMqttPassword(broker.password);
    await eventually(() => lb.bridge.connected, 'reconnected');

    await discovery(ha, 'home1');
    expect((await ha.waitFor((m) => m.topic === 'lifeboat/home1/availability', 'online')).payload).toBe('online');
    expect((await ha.waitFor((m) => m.topic === topics.managerState, 'state')).payload).toBe('idle');
    await ha.waitFor((m) => m.topic === topics.event && m.payload.includes('"completed"'), 'the completed event sent during the outage');
    const events = eventsOf(ha.on(topics.event));
    expect(events[0]?.event_type).toBe('in_progress');
    expect(events.at(-1)?.event_type).toBe('completed');

    // The broker lost everything when it stopped: a later subscriber gets it all retained again.
    const late = await MqttListener.connect(broker, TOPICS);
    const again = await discovery(late, 'home1');
    expect([...again.values()].every((c) => c.retain)).toBe(true);
    expect(await late.waitFor((m) => m.topic === topics.lastSuccessful, 'last successful')).toMatchObject({
      payload: lb.core.status.entity(ENTITY.lastSuccessful)?.state,
      retain: true,
    });
    await late.close();
  });

  it('turning MQTT off removes the device from Home Assistant (empty retained configs); on again brings it back', async () => {
    const mqtt = lb.core.settings.config.mqtt;
    await lb.core.settings.setMqtt({ ...mqtt, enabled: false });
    await lb.bridge.settled();
    expect(lb.bridge.connected).toBe(false);
    const fresh = await MqttListener.connect(broker, TOPICS);
    await fresh.barrier();
    expect(fresh.messages.filter((m) => m.topic.includes('home1'))).toEqual([]);
    await fresh.close();
    const removals = ha.messages.filter((m) => configTopicOf('home1').test(m.topic) && m.payload === '');
    expect(new Set(removals.map((m) => m.topic)).size).toBe(7);

    // A press left retained on the broker must not start a backup when Lifeboat connects.
    await ha.publish(topics.create, 'PRESS', true);
    const backupsBefore = (await lb.core.backups.list()).backups.length;
    await lb.core.settings.setMqtt({ ...mqtt, enabled: true });
    await eventually(() => lb.bridge.connected, 'connected again');
    const back = await MqttListener.connect(broker, TOPICS);
    await discovery(back, 'home1');
    await back.close();
    const from = ha.messages.length;
    await lifeboatCaughtUp(ha, 'home1');
    expect(ha.messages.slice(from).filter((m) => m.topic === topics.managerState && m.payload !== 'idle')).toEqual([]);
    expect(lb.core.status.state).toBe('idle');
    expect((await lb.core.backups.list()).backups).toHaveLength(backupsBefore);
    await ha.publish(topics.create, '', true);
  });

  it('a clean stop marks Lifeboat offline', async () => {
    const from = ha.messages.length;
    await lb.stop();
    const offline = await ha.waitFor((m) => m.topic === 'lifeboat/home1/availability' && m.payload === 'offline', 'offline', { from });
    expect(offline.payload).toBe('offline');
    const fresh = await MqttListener.connect(broker, ['lifeboat/home1/availability']);
    expect(await fresh.waitFor(() => true, 'retained availability')).toMatchObject({ payload: 'offline', retain: true });
    await fresh.close();
  });
});

describe('events while the broker is unreachable', () => {
  it('wait in a bounded queue: the latest ones are sent on connection, the backup never waits', async () => {
    const inst = await tmpDir();
    await makeInstallation(inst);
    const lb = await startLifeboat(inst, { maxQueuedEvents: 2 });
    const { settings } = lb.core;
    await settings.setMqttPassword('refused');
    await settings.setMqtt({ ...settings.config.mqtt, enabled: true, url: broker.url, username: broker.username, node_id: 'home4' });
    await lb.bridge.settled();
    const ha = await MqttListener.connect(broker, ['lifeboat/home4/#']);
    try {
      await lb.core.create.service();
      expect(lb.bridge.connected).toBe(false);
      await settings.setMqttPassword(broker.password);
      await eventually(() => lb.bridge.connected, 'connected');
      await ha.waitFor((m) => m.topic === 'lifeboat/home4/automatic_backup_event' && m.payload.includes('"completed"'), 'completed event');
      await lifeboatCaughtUp(ha, 'home4');
      expect(eventsOf(ha.on('lifeboat/home4/automatic_backup_event'))).toEqual([
        { event_type: 'in_progress', backup_stage: 'cleaning_up', failed_reason: null },
        { event_type: 'completed', backup_stage: null, failed_reason: null },
      ]);
    } finally {
      await ha.close();
      await lb.stop();
    }
  });
});

describe('lifeboat serve as a process', () => {
  it('goes offline through its last will when killed and by itself when stopped; mqtt status and disable', async () => {
    const inst = await tmpDir();
    await makeInstallation(inst);
    expect((await configure(inst, 'home2', 'right')).code).toBe(0);
    const ha = await MqttListener.connect(broker, ['lifeboat/home2/availability', 'homeassistant/+/lifeboat_home2/#']);
    const availability = 'lifeboat/home2/availability';
    try {
      let serve = startCli(['-c', inst, 'serve', '--port', '0'], { env: { LIFEBOAT_LOG_LEVEL: 'warn' } });
      await ha.waitFor((m) => m.topic === availability && m.payload === 'online', 'online');
      const status = await runCli(['-c', inst, 'mqtt', 'status']);
      expect(status.stdout).toMatch(/Broker: +reachable/);
      expect(status.stdout).toMatch(/Lifeboat: +online/);

      let from = ha.messages.length;
      serve.child.kill('SIGKILL');
      expect((await serve.done).signal).toBe('SIGKILL');
      await ha.waitFor((m) => m.topic === availability && m.payload === 'offline', 'offline by the last will', { from, timeoutMs: 10_000 });

      serve = startCli(['-c', inst, 'serve', '--port', '0'], { env: { LIFEBOAT_LOG_LEVEL: 'warn' } });
      from = ha.messages.length;
      await ha.waitFor((m) => m.topic === availability && m.payload === 'online', 'online again', { from });
      from = ha.messages.length;
      serve.child.kill('SIGTERM');
      expect((await serve.done).code).toBe(0);
      await ha.waitFor((m) => m.topic === availability && m.payload === 'offline', 'offline on a clean stop', { from, timeoutMs: 10_000 });

      const disabled = await runCli(['-c', inst, 'mqtt', 'disable']);
      expect(disabled.code).toBe(0);
      expect(disabled.stdout).toMatch(/Removed the Backup device from Home Assistant \(12 retained topics cleared\)/);
      const fresh = await MqttListener.connect(broker, ['lifeboat/home2/#', 'homeassistant/+/lifeboat_home2/#']);
      await fresh.barrier();
      expect(fresh.messages).toEqual([]);
      await fresh.close();
      const off = await runCli(['-c', inst, 'mqtt', 'status', '--no-check']);
      expect(off.stdout).toMatch(/MQTT: +off/);
    } finally {
      await ha.close();
    }
  });
});

describe('a TLS broker', () => {
  it('is reached with its CA and a client certificate; an untrusted certificate is refused unless --insecure', async () => {
    const certs = await makeCertificates(await tmpDir('lifeboat-certs-'));
    const tlsBroker = await start({ tls: certs });
    const inst = await tmpDir();
    await makeInstallation(inst);
    const base = ['-c', inst, 'mqtt', 'configure', '--url', tlsBroker.tlsUrl as string, '--username', tlsBroker.username, '--password-file', join(secretsDir, 'right'), '--node-id', 'home3'];
    const client = ['--cert', certs.clientCert, '--key', certs.clientKey];
    let ha: MqttListener | null = null;
    try {
      const untrusted = await runCli([...base, ...client]);
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.stderr).toMatch(/certificate/i);
      const noClientCert = await runCli([...base, '--ca', certs.ca]);
      expect(noClientCert.code).not.toBe(0);
      expect(noClientCert.stderr).toMatch(/Nothing was saved/);

      const ok = await runCli([...base, '--ca', certs.ca, ...client]);
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      const saved = JSON.parse(await readFile(join(dataDir(inst), 'settings.json'), 'utf8')) as { data: { mqtt: { tls: unknown } } };
      expect(saved.data.mqtt.tls).toEqual({ ca_file: certs.ca, cert_file: certs.clientCert, key_file: certs.clientKey, insecure: false });

      // serve publishes over TLS; Home Assistant, on the plain listener of the same broker, sees the device.
      const lb = await startLifeboat(inst);
      await eventually(() => lb.bridge.connected, 'connected over TLS');
      ha = await MqttListener.connect(tlsBroker, ['homeassistant/#', 'lifeboat/home3/#']);
      const configs = await discovery(ha, 'home3');
      expect(configs.size).toBe(7);
      await lb.stop();

      const insecure = await runCli([...base, '--ca', '', '--insecure', ...client]);
      expect(insecure.code).toBe(0);
    } finally {
      await ha?.close();
      await tlsBroker.stop();
    }
  });
});
