// What Home Assistant's MQTT discovery accepts for the sensor, event and button platforms, as a
// checker for tests: required keys, known keys, topic validity, device and availability blocks,
// the enum / timestamp sensor rules, event types, and button payloads.

const COMMON = [
  'name',
  'unique_id',
  'object_id',
  'default_entity_id',
  'icon',
  'entity_picture',
  'entity_category',
  'enabled_by_default',
  'availability',
  'availability_mode',
  'availability_topic',
  'availability_template',
  'payload_available',
  'payload_not_available',
  'json_attributes_topic',
  'json_attributes_template',
  'device',
  'origin',
  'qos',
  'encoding',
];

const PLATFORM_KEYS: Record<string, string[]> = {
  sensor: [
    'state_topic',
    'value_template',
    'device_class',
    'state_class',
    'unit_of_measurement',
    'options',
    'expire_after',
    'force_update',
    'last_reset_value_template',
    'suggested_display_precision',
  ],
  event: ['state_topic', 'value_template', 'device_class', 'event_types'],
  button: ['command_topic', 'command_template', 'payload_press', 'retain', 'device_class'],
};

const REQUIRED: Record<string, string[]> = {
  sensor: ['state_topic'],
  event: ['state_topic', 'event_types'],
  button: ['command_topic'],
};

const SENSOR_DEVICE_CLASSES_USED = new Set(['enum', 'timestamp', 'date', 'duration', 'data_size']);
const EVENT_DEVICE_CLASSES = new Set(['button', 'doorbell', 'motion']);
const BUTTON_DEVICE_CLASSES = new Set(['identify', 'restart', 'update']);
const DEVICE_KEYS = new Set([
  'identifiers',
  'connections',
  'manufacturer',
  'model',
  'model_id',
  'name',
  'hw_version',
  'serial_number',
  'sw_version',
  'via_device',
  'suggested_area',
  'configuration_url',
]);

/** Home Assistant's valid_subscribe_topic. */
export function validSubscribeTopic(t: unknown): boolean {
  if (typeof t !== 'string' || t.length === 0 || t.length > 65535 || t.includes('\0')) return false;
  const levels = t.split('/');
  return levels.every((l, i) => (l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+'));
}

/** Home Assistant's valid_publish_topic: a subscribe topic without wildcards. */
export function validPublishTopic(t: unknown): boolean {
  return validSubscribeTopic(t) && !(t as string).includes('#') && !(t as string).includes('+');
}

const isStringList = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');

/** Problems Home Assistant would have with a discovery payload for `component`; empty when valid. */
export function discoveryProblems(component: string, payload: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const allowed = new Set([...COMMON, ...(PLATFORM_KEYS[component] ?? [])]);
  if (!PLATFORM_KEYS[component]) return [`unknown component ${component}`];
  for (const key of Object.keys(payload)) if (!allowed.has(key)) problems.push(`unknown key ${key}`);
  for (const key of REQUIRED[component] ?? []) if (payload[key] === undefined) problems.push(`missing ${key}`);
  if (typeof payload.unique_id !== 'string' || payload.unique_id === '') problems.push('unique_id must be a non-empty string');
  if (typeof payload.name !== 'string') problems.push('name must be a string');
  const entityId = payload.default_entity_id;
  if (entityId !== undefined && (typeof entityId !== 'string' || !new RegExp(`^${component}\\.[a-z0-9_]+$`).test(entityId))) {
    problems.push(`default_entity_id ${String(entityId)} is not a ${component} entity id`);
  }
  for (const key of ['state_topic', 'availability_topic', 'json_attributes_topic']) {
    if (payload[key] !== undefined && !validSubscribeTopic(payload[key])) problems.push(`${key} is not a valid topic`);
  }
  if (payload.command_topic !== undefined && !validPublishTopic(payload.command_topic)) problems.push('command_topic is not a valid publish topic');
  if (payload.qos !== undefined && ![0, 1, 2].includes(payload.qos as number)) problems.push('qos must be 0, 1 or 2');
  for (const key of ['payload_available', 'payload_not_available', 'payload_press']) {
    if (payload[key] !== undefined && typeof payload[key] !== 'string') problems.push(`${key} must be a string`);
  }
  const device = payload.device as Record<string, unknown> | undefined;
  if (device !== undefined) {
    if (typeof device !== 'object' || device === null) problems.push('device must be an object');
    else {
      for (const key of Object.keys(device)) if (!DEVICE_KEYS.has(key)) problems.push(`unknown device key ${key}`);
      if (!isStringList(device.identifiers) && !Array.isArray(device.connections)) problems.push('device needs identifiers or connections');
      if (typeof device.name !== 'string') problems.push('device needs a name');
      const url = device.configuration_url;
      if (url !== undefined && (typeof url !== 'string' || !/^(https?:\/\/[^\s/]+|homeassistant:\/\/)/.test(url))) problems.push('device configuration_url is not a URL');
    }
  }
  const origin = payload.origin as Record<string, unknown> | undefined;
  if (origin !== undefined && typeof origin.name !== 'string') problems.push('origin needs a name');
  if (component === 'sensor') {
    const dc = payload.device_class;
    if (dc !== undefined && !SENSOR_DEVICE_CLASSES_USED.has(dc as string)) problems.push(`unexpected sensor device_class ${String(dc)}`);
    if (dc === 'enum') {
      if (!isStringList(payload.options)) problems.push('an enum sensor needs options');
      if (payload.state_class !== undefined || payload.unit_of_measurement !== undefined) problems.push('an enum sensor has no state_class or unit');
    } else if (payload.options !== undefined) problems.push('options are only for enum sensors');
    if (dc === 'timestamp' && (payload.unit_of_measurement !== undefined || payload.state_class !== undefined)) problems.push('a timestamp sensor has no unit or state_class');
  }
  if (component === 'event') {
    if (!isStringList(payload.event_types)) problems.push('event_types must be a non-empty list of strings');
    if (payload.device_class !== undefined && !EVENT_DEVICE_CLASSES.has(payload.device_class as string)) problems.push('invalid event device_class');
  }
  if (component === 'button') {
    if (payload.device_class !== undefined && !BUTTON_DEVICE_CLASSES.has(payload.device_class as string)) problems.push('invalid button device_class');
    if (payload.retain !== undefined && typeof payload.retain !== 'boolean') problems.push('retain must be a boolean');
  }
  return problems;
}

/** The component of a discovery topic `<prefix>/<component>/[<node_id>/]<object_id>/config`. */
export function componentOf(topic: string, prefix = 'homeassistant'): string | null {
  const m = new RegExp(`^${prefix}/([a-z_]+)/(?:[A-Za-z0-9_-]+/)?[A-Za-z0-9_-]+/config$`).exec(topic);
  return m ? (m[1] as string) : null;
}
