// Home Assistant MQTT discovery for the Backup device, as pure functions: the topic layout, the
// device, one retained config message per entity (sensors, the event, the buttons) built from the
// entity definitions, and the payloads Home Assistant's MQTT sensor and event platforms read.

import {
  BUTTON_DEFINITIONS,
  DEVICE_NAME,
  ENTITY_DEFINITIONS,
  type ButtonDefinition,
  type EntityDefinition,
  type EntityState,
  type MqttSettings,
} from '../core/types.js';
import { VERSION } from '../version.js';

export const PAYLOAD_ONLINE = 'online';
export const PAYLOAD_OFFLINE = 'offline';
export const PAYLOAD_PRESS = 'PRESS';
/** Home Assistant's MQTT sensors read this payload as "unknown". */
export const PAYLOAD_NONE = 'None';

export interface MqttLayout {
  discoveryPrefix: string;
  nodeId: string;
  /** `<base_topic>/<node_id>`: every topic of this Lifeboat starts with it. */
  base: string;
  availability: string;
  /** Home Assistant's birth and last-will topic. */
  haStatus: string;
}

export interface DiscoveryMessage {
  topic: string;
  payload: Record<string, unknown>;
}

/** The node id when none is set: the start of the installation's instance id. */
export function defaultNodeId(instanceId: string): string {
  return instanceId.replace(/[^A-Za-z0-9]/g, '').slice(0, 8).toLowerCase() || 'lifeboat';
}

export function mqttLayout(settings: Pick<MqttSettings, 'discovery_prefix' | 'base_topic' | 'node_id'>, instanceId: string): MqttLayout {
  const nodeId = settings.node_id ?? defaultNodeId(instanceId);
  const base = `${settings.base_topic.replace(/\/+$/, '')}/${nodeId}`;
  const discoveryPrefix = settings.discovery_prefix.replace(/\/+$/, '');
  return { discoveryPrefix, nodeId, base, availability: `${base}/availability`, haStatus: `${discoveryPrefix}/status` };
}

const uniqueId = (layout: MqttLayout, id: string) => `lifeboat_${layout.nodeId}_${id}`;
const discoveryNode = (layout: MqttLayout) => `lifeboat_${layout.nodeId}`;

export function stateTopic(layout: MqttLayout, def: EntityDefinition): string {
  return `${layout.base}/${def.uniqueId}`;
}

export function commandTopic(layout: MqttLayout, button: ButtonDefinition): string {
  return `${layout.base}/${button.uniqueId}/press`;
}

function configTopic(layout: MqttLayout, component: string, id: string): string {
  return `${layout.discoveryPrefix}/${component}/${discoveryNode(layout)}/${id}/config`;
}

export function deviceInfo(layout: MqttLayout, configurationUrl: string | null): Record<string, unknown> {
  return {
    identifiers: [discoveryNode(layout)],
    name: DEVICE_NAME,
    manufacturer: 'Lifeboat',
    model: 'Lifeboat Backup',
    sw_version: VERSION,
    ...(configurationUrl ? { configuration_url: configurationUrl } : {}),
  };
}

function common(layout: MqttLayout, device: Record<string, unknown>, id: string, name: string, entityId: string, icon?: string): Record<string, unknown> {
  return {
    name,
    unique_id: uniqueId(layout, id),
    default_entity_id: entityId,
    ...(icon ? { icon } : {}),
    availability_topic: layout.availability,
    payload_available: PAYLOAD_ONLINE,
    payload_not_available: PAYLOAD_OFFLINE,
    device,
    origin: { name: 'Lifeboat', sw_version: VERSION },
    qos: 1,
  };
}

/** One retained config message per entity, in definition order, then the buttons. */
export function discoveryMessages(layout: MqttLayout, configurationUrl: string | null): DiscoveryMessage[] {
  const device = deviceInfo(layout, configurationUrl);
  const messages: DiscoveryMessage[] = ENTITY_DEFINITIONS.map((def) => {
    const payload = common(layout, device, def.uniqueId, def.name, def.entityId, def.icon);
    payload.state_topic = stateTopic(layout, def);
    if (def.platform === 'sensor') {
      if (def.deviceClass) payload.device_class = def.deviceClass;
      if (def.options) payload.options = [...def.options];
    } else {
      payload.event_types = [...(def.eventTypes ?? [])];
    }
    return { topic: configTopic(layout, def.platform, def.uniqueId), payload };
  });
  for (const button of BUTTON_DEFINITIONS) {
    const payload = common(layout, device, button.uniqueId, button.name, button.entityId, button.icon);
    payload.command_topic = commandTopic(layout, button);
    payload.payload_press = PAYLOAD_PRESS;
    payload.retain = false;
    messages.push({ topic: configTopic(layout, 'button', button.uniqueId), payload });
  }
  return messages;
}

/** The sensor payload for a state: Home Assistant's "unknown" becomes the MQTT none payload. */
export function sensorPayload(state: string): string {
  return state === 'unknown' || state === 'unavailable' || state === '' ? PAYLOAD_NONE : state;
}

/** The event payload of the automatic-backup event entity: `event_type` plus its attributes. */
export function eventPayload(state: EntityState): string | null {
  const type = state.attributes.event_type;
  if (typeof type !== 'string') return null;
  return JSON.stringify({
    event_type: type,
    backup_stage: state.attributes.backup_stage ?? null,
    failed_reason: state.attributes.failed_reason ?? null,
  });
}

/** The retained sensor states for the current entity states (the event entity has none). */
export function sensorStates(layout: MqttLayout, states: EntityState[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const def of ENTITY_DEFINITIONS) {
    if (def.platform !== 'sensor') continue;
    const state = states.find((s) => s.entity_id === def.entityId);
    out.set(stateTopic(layout, def), sensorPayload(state?.state ?? 'unknown'));
  }
  return out;
}

/** Every retained topic Lifeboat writes (config, state, availability): cleared on removal. */
export function retainedTopics(layout: MqttLayout): string[] {
  return [
    ...discoveryMessages(layout, null).map((m) => m.topic),
    ...ENTITY_DEFINITIONS.filter((d) => d.platform === 'sensor').map((d) => stateTopic(layout, d)),
    layout.availability,
  ];
}

/** The definition of an entity id, if it is one of the Backup entities. */
export function definitionOf(entityId: string): EntityDefinition | undefined {
  return ENTITY_DEFINITIONS.find((d) => d.entityId === entityId);
}

/** Credentials never appear in logs: the URL is shown without any user info. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//');
}

/** The web UI address for other machines: a wildcard listen address becomes the host name. */
export function reachableUrl(url: string, hostname: string): string {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=:|\/|$)/, `$1${hostname}`);
}
