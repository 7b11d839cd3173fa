// Generated content that looks like a Home Assistant installation's, shared by the benchmarks that
// build trees of their own: deterministic pseudo-random numbers, entities, lines of sensor states,
// registries, automations, logs and code, and writing files of a given size chunk by chunk (so a
// file of any size is written without holding it in memory).

import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { MiB } from './bench-lib.js';

/** Generated files are written in chunks of this size. */
export const CHUNK = 2 * MiB;

// ---------------------------------------------------------------------------------------------
// Deterministic pseudo-random numbers (mulberry32) for names, sizes and text; media bytes come
// from crypto.randomBytes.

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += ((this.next() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
    return s.slice(0, chars);
  }
}

// ---------------------------------------------------------------------------------------------
// Text that looks like an installation's: sensor states, registries, automations, logs, code.

export interface Kind {
  domain: string;
  cls: string;
  unit: string;
  base: number;
  spread: number;
  decimals: number;
  states?: readonly string[];
}

export interface Entity {
  id: string;
  room: string;
  name: string;
  kind: Kind;
}

export const ROOMS = ['living_room', 'kitchen', 'bedroom', 'office', 'garage', 'hallway', 'bathroom', 'garden', 'basement', 'attic', 'kids_room', 'laundry'];
export const KINDS: readonly Kind[] = [
  { domain: 'sensor', cls: 'temperature', unit: '°C', base: 21, spread: 4, decimals: 1 },
  { domain: 'sensor', cls: 'humidity', unit: '%', base: 48, spread: 15, decimals: 0 },
  { domain: 'sensor', cls: 'power', unit: 'W', base: 120, spread: 110, decimals: 1 },
  { domain: 'sensor', cls: 'energy', unit: 'kWh', base: 1520, spread: 400, decimals: 3 },
  { domain: 'sensor', cls: 'illuminance', unit: 'lx', base: 300, spread: 290, decimals: 0 },
  { domain: 'sensor', cls: 'battery', unit: '%', base: 70, spread: 30, decimals: 0 },
  { domain: 'sensor', cls: 'carbon_dioxide', unit: 'ppm', base: 650, spread: 250, decimals: 0 },
  { domain: 'binary_sensor', cls: 'motion', unit: '', base: 0, spread: 0, decimals: 0, states: ['on', 'off'] },
  { domain: 'binary_sensor', cls: 'door', unit: '', base: 0, spread: 0, decimals: 0, states: ['on', 'off'] },
  { domain: 'light', cls: 'light', unit: '', base: 0, spread: 0, decimals: 0, states: ['on', 'off', 'unavailable'] },
  { domain: 'switch', cls: 'outlet', unit: '', base: 0, spread: 0, decimals: 0, states: ['on', 'off'] },
];
export const PLATFORMS = ['mqtt', 'zha', 'hue', 'esphome', 'shelly', 'tuya', 'template', 'sonoff'];
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function titleCase(s: string): string {
  return s
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

export const ENTITIES: readonly Entity[] = ROOMS.flatMap((room) =>
  KINDS.map((kind) => ({ id: `${kind.domain}.${room}_${kind.cls}`, room, name: `${titleCase(room)} ${titleCase(kind.cls)}`, kind })),
);

export function stateOf(rng: Rng, kind: Kind): string {
  if (kind.states) return rng.pick(kind.states);
  return (kind.base + (rng.next() * 2 - 1) * kind.spread).toFixed(kind.decimals);
}

/** A monotonic clock for timestamps in generated records. */
export class Clock {
  ms = Date.UTC(2026, 6, 1);

  tick(rng: Rng, maxStepMs: number): number {
    this.ms += rng.int(1, maxStepMs);
    return this.ms;
  }

  iso(): string {
    return new Date(this.ms).toISOString();
  }
}

function ulid(rng: Rng, ms: number): string {
  let s = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    s = CROCKFORD.charAt(t % 32) + s;
    t = Math.floor(t / 32);
  }
  for (let i = 0; i < 16; i++) s += CROCKFORD.charAt(rng.int(0, 31));
  return s;
}

export function z2mLogLine(rng: Rng, clock: Clock): string {
  clock.tick(rng, 2500);
  const e = rng.pick(ENTITIES);
  const ts = clock.iso().replace('T', ' ').slice(0, 19);
  const payload = `{"battery":${rng.int(20, 100)},"linkquality":${rng.int(20, 255)},"${e.kind.cls}":${JSON.stringify(stateOf(rng, e.kind))},"voltage":${rng.int(2700, 3100)}}`;
  return `[${ts}] info: \tz2m: MQTT publish: topic 'zigbee2mqtt/${e.room}_${e.kind.cls}', payload '${payload}'\n`;
}

export function restoreStateItem(rng: Rng, clock: Clock): string {
  const ms = clock.tick(rng, 4000);
  const e = rng.pick(ENTITIES);
  const iso = clock.iso();
  const unit = e.kind.unit ? `"unit_of_measurement":"${e.kind.unit}",` : '';
  return (
    `    {"state":{"entity_id":"${e.id}","state":"${stateOf(rng, e.kind)}","attributes":{${unit}"device_class":"${e.kind.cls}",` +
    `"friendly_name":"${e.name}"},"last_changed":"${iso}","last_reported":"${iso}","last_updated":"${iso}",` +
    `"context":{"id":"${ulid(rng, ms)}","parent_id":null,"user_id":null}},"extra_data":null,"last_seen":"${iso}"},\n`
  );
}

export function entityRegistryItem(rng: Rng): string {
  const e = rng.pick(ENTITIES);
  const unit = e.kind.unit ? `"${e.kind.unit}"` : 'null';
  return (
    `      {"aliases":[],"area_id":"${e.room}","categories":{},"capabilities":{"state_class":"measurement"},` +
    `"config_entry_id":"${rng.hex(26).toUpperCase()}","device_class":null,"device_id":"${rng.hex(32)}","disabled_by":null,` +
    `"entity_category":null,"entity_id":"${e.id}_${rng.int(2, 9)}","has_entity_name":true,"hidden_by":null,"icon":null,` +
    `"id":"${rng.hex(32)}","labels":[],"name":null,"options":{"conversation":{"should_expose":false}},` +
    `"original_device_class":"${e.kind.cls}","original_name":"${e.name}","platform":"${rng.pick(PLATFORMS)}",` +
    `"supported_features":0,"translation_key":null,"unique_id":"${rng.hex(16)}_${e.kind.cls}","unit_of_measurement":${unit}},\n`
  );
}

export function automationBlock(rng: Rng): string {
  const trigger = rng.pick(ENTITIES);
  const cond = rng.pick(ENTITIES);
  return [
    `- id: '${rng.int(1_600_000_000, 1_799_999_999)}${rng.int(100, 999)}'`,
    `  alias: ${trigger.name} → ${titleCase(trigger.room)} lights`,
    `  description: ''`,
    `  triggers:`,
    `  - trigger: state`,
    `    entity_id: ${trigger.id}`,
    `    to: '${trigger.kind.states ? 'on' : stateOf(rng, trigger.kind)}'`,
    `  conditions:`,
    `  - condition: numeric_state`,
    `    entity_id: ${cond.id}`,
    `    below: ${rng.int(5, 500)}`,
    `  actions:`,
    `  - action: light.turn_on`,
    `    target:`,
    `      entity_id: light.${trigger.room}_light`,
    `    data:`,
    `      brightness_pct: ${rng.int(10, 100)}`,
    `  mode: single`,
    '',
  ].join('\n');
}

const PY_LINES = [
  'from homeassistant.core import HomeAssistant, callback',
  'from homeassistant.helpers.entity import Entity',
  '_LOGGER = logging.getLogger(__name__)',
  '    async def async_update(self) -> None:',
  '        """Fetch new state data for the sensor."""',
  '        self._attr_native_value = await self.coordinator.api.get_value(self._key)',
  '    @property',
  '    def available(self) -> bool:',
  '        return self.coordinator.last_update_success',
  'async def async_setup_entry(hass: HomeAssistant, entry: ConfigEntry, async_add_entities) -> bool:',
  '    coordinator = hass.data[DOMAIN][entry.entry_id]',
  '    async_add_entities(SENSORS, update_before_add=True)',
];

export function pyLine(rng: Rng): string {
  const e = rng.pick(ENTITIES);
  return rng.next() < 0.7 ? `${rng.pick(PY_LINES)}\n` : `    SENSOR_${e.kind.cls.toUpperCase()}_${rng.int(1, 99)} = "${e.id}"  # ${e.name}\n`;
}

export function jsLine(rng: Rng): string {
  const e = rng.pick(ENTITIES);
  return `var ${rng.hex(3)}=this.hass.states["${e.id}"];if(${rng.hex(2)}&&${rng.hex(2)}.state!=="unavailable"){this._render(${rng.int(0, 999)},"${e.name}",${rng.hex(2)}.attributes)}\n`;
}

export function svgLine(rng: Rng): string {
  return `<path d="M${rng.int(0, 24)} ${rng.int(0, 24)}h${rng.int(1, 9)}v${rng.int(1, 9)}H${rng.int(0, 24)}z" fill="currentColor"/>\n`;
}

// ---------------------------------------------------------------------------------------------
// Writing generated files

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/** Writes exactly `size` bytes, asking `next` for chunks of about CHUNK bytes (it may return more). */
export function writeChunked(path: string, size: number, next: (want: number) => Buffer): void {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    while (written < size) {
      const want = Math.min(CHUNK, size - written);
      const buf = next(want);
      const piece = buf.length > size - written ? buf.subarray(0, size - written) : buf;
      writeAll(fd, piece);
      written += piece.length;
    }
  } finally {
    closeSync(fd);
  }
}

/** A chunk source joining generated lines (after an optional head) until `want` bytes are covered. */
export function textSource(nextLine: () => string, head = ''): (want: number) => Buffer {
  let pending = head;
  return (want) => {
    const parts = [pending];
    let len = pending.length;
    pending = '';
    while (len < want) {
      const line = nextLine();
      parts.push(line);
      len += line.length;
    }
    return Buffer.from(parts.join(''), 'utf8');
  };
}

export function randomSource(want: number): Buffer {
  return randomBytes(want);
}
