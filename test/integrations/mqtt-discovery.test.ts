// MQTT discovery without a broker: the topic layout, one valid config message per entity (checked
// against what Home Assistant's sensor / event / button platforms accept) with Home Assistant's
// entity ids, payloads for unknown timestamps and events, the MQTT settings migration, and the
// Prometheus text writer read back by the strict parser.
import { describe, expect, it } from 'vitest';
import { ENTITY_DEFINITIONS } from '../../src/entities/entity-definitions.js';
import type { EntityState } from '../../src/entities/entity-tracker.js';
import {
  defaultNodeId,
  discoveryMessages,
  eventPayload,
  mqttLayout,
  reachableUrl,
  redactUrl,
  retainedTopics,
  sensorPayload,
  sensorStates,
} from '../../src/integrations/mqtt-discovery.js';
import { renderPrometheus } from '../../src/integrations/prometheus-text.js';
import { defaultConfig, MqttSettingsSchema } from '../../src/settings/schemas.js';
import { migrateSettings, SETTINGS_MINOR_VERSION } from '../../src/settings/settings-store.js';
import { VERSION } from '../../src/version.js';
import { componentOf, discoveryProblems } from '../helpers/ha-mqtt-schema.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-parse.js';

const settings = defaultConfig().mqtt;
const layout = mqttLayout({ ...settings, node_id: 'home1' }, '0123456789abcdef0123456789abcdef');

describe('MQTT discovery messages', () => {
  it('lays out topics under the discovery prefix and <base_topic>/<node_id>', () => {
    expect(layout).toEqual({
      discoveryPrefix: 'homeassistant',
      nodeId: 'home1',
      base: 'lifeboat/home1',
      availability: 'lifeboat/home1/availability',
      haStatus: 'homeassistant/status',
    });
    expect(defaultNodeId('0123456789ABCDEF0123456789abcdef')).toBe('01234567');
    expect(mqttLayout(settings, 'fedcba9876543210fedcba9876543210').nodeId).toBe('fedcba98');
  });

  it('publishes one config per entity and button that Home Assistant accepts, with its own entity ids', () => {
    const messages = discoveryMessages(layout, 'http://lifeboat.local:8124');
    expect(messages).toHaveLength(7);
    for (const m of messages) {
      const component = componentOf(m.topic);
      expect(component, m.topic).not.toBeNull();
      expect(discoveryProblems(component as string, m.payload), m.topic).toEqual([]);
      expect(m.payload.default_entity_id).toMatch(new RegExp(`^${component}\\.`));
      expect(m.payload.availability_topic).toBe(layout.availability);
      expect(m.payload.device).toEqual({
        identifiers: ['lifeboat_home1'],
        name: 'Backup',
        manufacturer: 'Lifeboat',
        model: 'Lifeboat Backup',
        sw_version: VERSION,
        configuration_url: 'http://lifeboat.local:8124',
      });
    }
    expect(messages.map((m) => m.payload.default_entity_id)).toEqual([
      'sensor.backup_backup_manager_state',
      'sensor.backup_next_scheduled_automatic_backup',
      'sensor.backup_last_successful_automatic_backup',
      'sensor.backup_last_attempted_automatic_backup',
      'event.backup_automatic_backup',
      'button.backup_create_backup',
      'button.backup_create_automatic_backup',
    ]);
    expect(messages.map((m) => m.topic)).toContain('homeassistant/sensor/lifeboat_home1/backup_manager_state/config');
    const unique = new Set(messages.map((m) => m.payload.unique_id));
    expect(unique.size).toBe(7);
    const byId = Object.fromEntries(messages.map((m) => [m.payload.default_entity_id as string, m.payload]));
    expect(byId['sensor.backup_backup_manager_state']).toMatchObject({
      name: 'Backup Manager state',
      unique_id: 'lifeboat_home1_backup_manager_state',
      device_class: 'enum',
      options: ['idle', 'create_backup', 'blocked', 'receive_backup', 'restore_backup'],
      state_topic: 'lifeboat/home1/backup_manager_state',
    });
    expect(byId['sensor.backup_last_successful_automatic_backup']).toMatchObject({ name: 'Last successful automatic backup', device_class: 'timestamp' });
    expect(byId['event.backup_automatic_backup']).toMatchObject({
      name: 'Automatic backup',
      event_types: ['completed', 'failed', 'in_progress'],
      state_topic: 'lifeboat/home1/automatic_backup_event',
    });
    expect(byId['button.backup_create_backup']).toMatchObject({ name: 'Create backup', command_topic: 'lifeboat/home1/create_backup/press', payload_press: 'PRESS' });
    expect(byId['button.backup_create_automatic_backup']).toMatchObject({ name: 'Create automatic backup', command_topic: 'lifeboat/home1/create_automatic_backup/press' });
    // Without a known web UI address the device simply has no configuration_url.
    expect(discoveryMessages(layout, null)[0]?.payload.device).not.toHaveProperty('configuration_url');
  });

  it('catches what Home Assistant would refuse', () => {
    expect(discoveryProblems('sensor', { name: 'x', unique_id: 'u', device_class: 'enum' })).toEqual(
      expect.arrayContaining(['missing state_topic', 'an enum sensor needs options']),
    );
    expect(discoveryProblems('button', { name: 'x', unique_id: 'u', command_topic: 'a/+/b' })).toContain('command_topic is not a valid publish topic');
    expect(discoveryProblems('event', { name: 'x', unique_id: 'u', state_topic: 's', event_types: [], colour: 1 })).toEqual(
      expect.arrayContaining(['unknown key colour', 'event_types must be a non-empty list of strings']),
    );
  });

  it('turns states into the payloads the MQTT sensor and event platforms read', () => {
    expect(sensorPayload('unknown')).toBe('None');
    expect(sensorPayload('2026-07-02T04:45:00+00:00')).toBe('2026-07-02T04:45:00+00:00');
    expect(sensorPayload('idle')).toBe('idle');
    const event = {
      entity_id: 'event.backup_automatic_backup',
      state: '2026-07-02T04:45:00.000+00:00',
      attributes: { event_type: 'failed', backup_stage: null, failed_reason: 'upload_failed', event_types: ['completed'] },
    } as unknown as EntityState;
    expect(JSON.parse(eventPayload(event) as string)).toEqual({ event_type: 'failed', backup_stage: null, failed_reason: 'upload_failed' });
    expect(eventPayload({ ...event, attributes: { event_type: null } })).toBeNull();
    const states = sensorStates(layout, [{ entity_id: 'sensor.backup_backup_manager_state', state: 'idle' } as EntityState]);
    expect([...states]).toEqual([
      ['lifeboat/home1/backup_manager_state', 'idle'],
      ['lifeboat/home1/next_scheduled_automatic_backup', 'None'],
      ['lifeboat/home1/last_successful_automatic_backup', 'None'],
      ['lifeboat/home1/last_attempted_automatic_backup', 'None'],
    ]);
    // Removal clears the 7 configs, the 4 sensor states and the availability.
    expect(retainedTopics(layout)).toHaveLength(12);
    expect(ENTITY_DEFINITIONS.filter((d) => d.platform === 'sensor')).toHaveLength(4);
  });

  it('keeps credentials out of URLs it shows and makes wildcard listen addresses reachable', () => {
    expect(redactUrl('mqtt://user:secret@broker:1883')).toBe('mqtt://broker:1883');
    expect(reachableUrl('http://0.0.0.0:8124', 'nas')).toBe('http://nas:8124');
    expect(reachableUrl('http://[::]:8124', 'nas')).toBe('http://nas:8124');
    expect(reachableUrl('http://127.0.0.1:8124', 'nas')).toBe('http://127.0.0.1:8124');
  });
});

describe('MQTT settings', () => {
  it('are off by default and valid', () => {
    expect(MqttSettingsSchema.parse(settings)).toEqual(settings);
    expect(settings).toMatchObject({ enabled: false, url: null, discovery_prefix: 'homeassistant', base_topic: 'lifeboat' });
  });

  it('are added to settings written before them, keeping what was there', () => {
    expect(SETTINGS_MINOR_VERSION).toBeGreaterThanOrEqual(3);
    const { mqtt: _m, ...older } = defaultConfig();
    const migrated = migrateSettings(1, 2, { ...older, excludes: ['media/**'] } as Record<string, unknown>);
    expect(migrated.mqtt).toEqual(settings);
    expect(migrated.excludes).toEqual(['media/**']);
  });

  it('refuse credentials in the URL and wildcards in topics', () => {
    expect(MqttSettingsSchema.safeParse({ ...settings, url: 'mqtt://u:p@broker' }).success).toBe(false);
    expect(MqttSettingsSchema.safeParse({ ...settings, url: 'http://broker' }).success).toBe(false);
    expect(MqttSettingsSchema.safeParse({ ...settings, url: 'mqtts://broker:8883' }).success).toBe(true);
    expect(MqttSettingsSchema.safeParse({ ...settings, discovery_prefix: 'home/#' }).success).toBe(false);
    expect(MqttSettingsSchema.safeParse({ ...settings, node_id: 'a/b' }).success).toBe(false);
  });
});

describe('Prometheus text format', () => {
  it('writes families the strict parser reads back, with escaped labels and help', () => {
    const text = renderPrometheus([
      { name: 'x_total', help: 'A "counter"\nwith \\ two lines', type: 'counter', samples: [{ labels: { reason: 'a"b\\c\nd' }, value: 3 }] },
      { name: 'y', help: 'gauge', type: 'gauge', samples: [{ value: 1.5 }, { labels: { k: 'v' }, value: NaN }] },
      { name: 'z', help: 'empty', type: 'gauge', samples: [] },
    ]);
    const parsed = parsePrometheusText(text);
    expect(parsed.get('x_total')?.help).toBe('A "counter"\nwith \\ two lines');
    expect(sampleValue(parsed, 'x_total', { reason: 'a"b\\c\nd' })).toBe(3);
    expect(sampleValue(parsed, 'y')).toBe(1.5);
    expect(sampleValue(parsed, 'y', { k: 'v' })).toBeNaN();
    expect(parsed.get('z')?.samples).toEqual([]);
  });

  it('has a parser that refuses malformed expositions', () => {
    const bad = [
      'a 1', // no final newline
      'a{b="c} 1\n',
      'a{b="\\x"} 1\n',
      '# TYPE a gauge\n# TYPE a gauge\na 1\n',
      'a 1\n# TYPE a gauge\n',
      'a 1\nb 1\na 2\n',
      'a 1\na 1\n',
      '# TYPE c counter\nc -1\n',
      'a one\n',
      '1a 1\n',
    ];
    for (const text of bad) expect(() => parsePrometheusText(text), JSON.stringify(text)).toThrow();
  });
});
