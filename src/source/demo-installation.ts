// A realistic Home Assistant-style installation for demos, tests and benchmarks: YAML files,
// `.storage/` registries, a custom component, web media, files the exclude rules drop (logs, tts,
// __pycache__), and a recorder-like SQLite database in WAL mode that can keep being written to.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

export const DEMO_HA_VERSION = '2026.7.3';
export const DEMO_DB = 'home-assistant_v2.db';

const ENTITIES = [
  'sensor.living_room_temperature',
  'sensor.living_room_humidity',
  'sensor.outdoor_temperature',
  'sensor.energy_consumption',
  'binary_sensor.front_door',
  'binary_sensor.hallway_motion',
  'light.kitchen',
  'light.living_room',
  'switch.coffee_machine',
  'climate.thermostat',
  'person.alex',
  'sun.sun',
];

function storeDoc(key: string, data: unknown, version = 1, minorVersion = 1): string {
  return `${JSON.stringify({ version, minor_version: minorVersion, key, data }, null, 2)}\n`;
}

function textFiles(instanceId: string): Record<string, string | Buffer> {
  const entityRegistry = ENTITIES.map((entity_id, i) => ({
    entity_id,
    id: randomUUID().replace(/-/g, ''),
    platform: entity_id.split('.')[0],
    unique_id: `demo-${i}`,
    original_name: entity_id.split('.')[1]?.replace(/_/g, ' '),
  }));
  return {
    '.HA_VERSION': DEMO_HA_VERSION,
    'configuration.yaml': [
      '# Loads default set of integrations. Do not remove.',
      'default_config:',
      '',
      'homeassistant:',
      '  name: Home',
      '  unit_system: metric',
      '  time_zone: Europe/Berlin',
      '',
      'recorder:',
      '  purge_keep_days: 10',
      '',
      'automation: !include automations.yaml',
      'script: !include scripts.yaml',
      'scene: !include scenes.yaml',
      '',
    ].join('\n'),
    'automations.yaml': [
      '- id: "1700000000001"',
      '  alias: Hallway light on motion',
      '  trigger:',
      '    - platform: state',
      '      entity_id: binary_sensor.hallway_motion',
      '      to: "on"',
      '  action:',
      '    - service: light.turn_on',
      '      target: { entity_id: light.living_room }',
      '- id: "1700000000002"',
      '  alias: Notify when the automatic backup failed',
      '  trigger:',
      '    - platform: state',
      '      entity_id: event.backup_automatic_backup',
      '  condition: "{{ trigger.to_state.attributes.event_type == \'failed\' }}"',
      '  action:',
      '    - service: notify.mobile_app_phone',
      '      data: { message: "Backup failed: {{ trigger.to_state.attributes.failed_reason }}" }',
      '',
    ].join('\n'),
    'scripts.yaml': 'good_night:\n  alias: Good night\n  sequence:\n    - service: light.turn_off\n      target: { entity_id: all }\n',
    'scenes.yaml': '[]\n',
    'secrets.yaml': 'wifi_password: correct-horse-battery-staple\nmqtt_password: demo\n',
    '.storage/core.uuid': storeDoc('core.uuid', { uuid: instanceId }),
    '.storage/core.config': storeDoc('core.config', { latitude: 52.52, longitude: 13.405, elevation: 34, unit_system_v2: 'metric', location_name: 'Home', time_zone: 'Europe/Berlin', currency: 'EUR', country: 'DE', language: 'en' }, 1, 4),
    '.storage/core.entity_registry': storeDoc('core.entity_registry', { entities: entityRegistry, deleted_entities: [] }, 1, 15),
    '.storage/core.device_registry': storeDoc('core.device_registry', { devices: [{ id: randomUUID().replace(/-/g, ''), name: 'Thermostat', manufacturer: 'Demo' }], deleted_devices: [] }, 1, 8),
    '.storage/lovelace': storeDoc('lovelace', { config: { views: [{ title: 'Home', cards: ENTITIES.map((entity) => ({ type: 'tile', entity })) }] } }),
    '.storage/person': storeDoc('person', { items: [{ id: 'alex', name: 'Alex', user_id: null, device_trackers: [] }] }, 2),
    'custom_components/demo_sensor/manifest.json': `${JSON.stringify({ domain: 'demo_sensor', name: 'Demo sensor', version: '1.0.0', iot_class: 'local_polling' }, null, 2)}\n`,
    'custom_components/demo_sensor/__init__.py': '"""Demo sensor integration."""\n',
    'custom_components/demo_sensor/sensor.py': 'from homeassistant.components.sensor import SensorEntity\n\nclass DemoSensor(SensorEntity):\n    _attr_name = "Demo"\n',
    'custom_components/demo_sensor/__pycache__/sensor.cpython-313.pyc': randomBytes(2048),
    'blueprints/automation/homeassistant/motion_light.yaml': 'blueprint:\n  name: Motion-activated Light\n  domain: automation\n',
    'www/community/button-card.js': `/* demo card */\n${'console.log("card");\n'.repeat(2000)}`,
    'www/images/floorplan.png': randomBytes(256 * 1024),
    'tts/5f4dcc3b5aa765d61d8327deb882cf99_en_-_google_translate.mp3': randomBytes(32 * 1024),
    'home-assistant.log': `${new Date(0).toISOString()} INFO (MainThread) [homeassistant.setup] Setting up demo\n`.repeat(500),
    'home-assistant.log.1': 'older log\n',
  };
}

const SCHEMA = `
PRAGMA journal_mode=WAL;
CREATE TABLE IF NOT EXISTS schema_changes (change_id INTEGER PRIMARY KEY, schema_version INTEGER, changed TEXT);
CREATE TABLE IF NOT EXISTS states_meta (metadata_id INTEGER PRIMARY KEY, entity_id TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS state_attributes (attributes_id INTEGER PRIMARY KEY, hash INTEGER, shared_attrs TEXT);
CREATE TABLE IF NOT EXISTS states (
  state_id INTEGER PRIMARY KEY, state TEXT, attributes_id INTEGER, last_updated_ts REAL,
  last_changed_ts REAL, old_state_id INTEGER, metadata_id INTEGER, context_id_bin BLOB);
CREATE INDEX IF NOT EXISTS ix_states_metadata_id_last_updated_ts ON states (metadata_id, last_updated_ts);
CREATE TABLE IF NOT EXISTS events (event_id INTEGER PRIMARY KEY, event_type TEXT, time_fired_ts REAL, context_id_bin BLOB);
CREATE TABLE IF NOT EXISTS statistics (id INTEGER PRIMARY KEY, metadata_id INTEGER, start_ts REAL, mean REAL, min REAL, max REAL);
`;

/** Opens (or creates) a recorder-like database and returns a function that appends one batch. */
export function openRecorderDb(path: string): { writeBatch: (rows: number, now: number) => void; close: () => void } {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  if (!db.prepare('SELECT 1 FROM schema_changes LIMIT 1').get()) {
    db.prepare('INSERT INTO schema_changes (schema_version, changed) VALUES (48, ?)').run(new Date().toISOString());
    const meta = db.prepare('INSERT OR IGNORE INTO states_meta (entity_id) VALUES (?)');
    for (const e of ENTITIES) meta.run(e);
  }
  const attrs = db.prepare('INSERT INTO state_attributes (hash, shared_attrs) VALUES (?, ?)');
  const state = db.prepare(
    'INSERT INTO states (state, attributes_id, last_updated_ts, last_changed_ts, metadata_id, context_id_bin) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const event = db.prepare('INSERT INTO events (event_type, time_fired_ts, context_id_bin) VALUES (?, ?, ?)');
  let counter = 0;
  const writeBatch = db.transaction((rows: number, now: number) => {
    for (let i = 0; i < rows; i++) {
      counter++;
      const metadataId = (counter % ENTITIES.length) + 1;
      const value = (20 + Math.sin(counter / 50) * 5).toFixed(2);
      const a = attrs.run(counter, JSON.stringify({ unit_of_measurement: '°C', friendly_name: ENTITIES[metadataId - 1], device_class: 'temperature', state_class: 'measurement' }));
      state.run(value, a.lastInsertRowid, now / 1000, now / 1000, metadataId, randomBytes(16));
      if (counter % 4 === 0) event.run('state_changed', now / 1000, randomBytes(16));
    }
  });
  return { writeBatch: (rows, now) => writeBatch(rows, now), close: () => db.close() };
}

export interface DemoOptions {
  /** Approximate database size in MiB. */
  dbMiB?: number;
  instanceId?: string;
}

/** Creates a demo installation in `dir` (which may exist; files are overwritten). */
export async function createDemoInstallation(dir: string, opts: DemoOptions = {}): Promise<void> {
  const instanceId = opts.instanceId ?? randomUUID().replace(/-/g, '');
  for (const [rel, content] of Object.entries(textFiles(instanceId))) {
    const abs = join(dir, rel);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  await mkdir(join(dir, 'backups'), { recursive: true });
  const db = openRecorderDb(join(dir, DEMO_DB));
  try {
    // About 230 bytes per row with indexes and attributes.
    const rows = Math.max(1, Math.round(((opts.dbMiB ?? 16) * 1024 * 1024) / 230));
    const start = Date.now() - rows * 1000;
    for (let done = 0; done < rows; done += 5000) db.writeBatch(Math.min(5000, rows - done), start + done * 1000);
  } finally {
    db.close();
  }
}
