// The Backup entities as Home Assistant state objects, derived from the manager's event stream and
// the schedule, kept across restarts in `<data>/entities.json`, with a stream of state changes for
// the APIs and MQTT. The event entity fires on every create event (manual ones too, as in Home
// Assistant) with `event_type`, `backup_stage` and `failed_reason`.

import { z } from 'zod';
import { readJson, writeJsonAtomic } from '../util/durable-fs.js';
import { EventBus } from '../util/event-bus.js';
import { nowDate, systemClock, type Clock } from '../util/clock.js';
import { formatIsoLocal, instantFromDate } from '../util/time.js';
import type { ManagerEvent } from '../manager/events.js';
import { isStateEvent } from '../manager/events.js';
import { ENTITY, ENTITY_DEFINITIONS, friendlyName, type EntityDefinition } from './entity-definitions.js';

export const EntityStateSchema = z.object({
  entity_id: z.string(),
  state: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  last_changed: z.string(),
  last_updated: z.string(),
  context: z.object({ id: z.string(), parent_id: z.null(), user_id: z.null() }),
});
export type EntityState = z.infer<typeof EntityStateSchema>;

export interface StateChange {
  entity_id: string;
  old_state: EntityState | null;
  new_state: EntityState;
}

const FileSchema = z.object({ version: z.literal(1), states: z.array(EntityStateSchema) });

/** A state's last_changed / last_updated as Home Assistant writes them: UTC, with microseconds (isoformat). */
function stateTime(at: Date): string {
  return formatIsoLocal(instantFromDate(at), 'UTC');
}

/** Home Assistant's timestamp sensor state: UTC, whole seconds. */
export function timestampState(iso: string | null): string {
  if (!iso) return 'unknown';
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return 'unknown';
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', '+00:00');
}

function baseAttributes(def: EntityDefinition): Record<string, unknown> {
  const attrs: Record<string, unknown> = {};
  if (def.options) attrs.options = [...def.options];
  if (def.eventTypes) attrs.event_types = [...def.eventTypes];
  if (def.platform === 'event') {
    attrs.event_type = null;
    attrs.backup_stage = null;
    attrs.failed_reason = null;
  }
  if (def.deviceClass) attrs.device_class = def.deviceClass;
  if (def.icon) attrs.icon = def.icon;
  attrs.friendly_name = friendlyName(def);
  return attrs;
}

let contextCounter = 0;
function contextId(now: Date): string {
  contextCounter = (contextCounter + 1) % 0xffff;
  return `${now.getTime().toString(16).padStart(12, '0')}${contextCounter.toString(16).padStart(4, '0')}${Math.random().toString(16).slice(2, 12).padEnd(10, '0')}`.toUpperCase().slice(0, 26);
}

export class EntityTracker {
  readonly changes = new EventBus<StateChange>();
  private readonly states = new Map<string, EntityState>();

  private constructor(
    private readonly path: string,
    private readonly clock: Clock,
  ) {}

  private now(): Date {
    return nowDate(this.clock);
  }

  static async open(path: string, clock: Clock = systemClock): Promise<EntityTracker> {
    const tracker = new EntityTracker(path, clock);
    const now = () => tracker.now();
    const stored = await readJson(path, FileSchema).catch(() => null);
    const at = stateTime(now());
    for (const def of ENTITY_DEFINITIONS) {
      const saved = stored?.states.find((s) => s.entity_id === def.entityId);
      tracker.states.set(
        def.entityId,
        saved
          ? { ...saved, attributes: { ...baseAttributes(def), ...saved.attributes, friendly_name: friendlyName(def) } }
          : { entity_id: def.entityId, state: 'unknown', attributes: baseAttributes(def), last_changed: at, last_updated: at, context: { id: contextId(now()), parent_id: null, user_id: null } },
      );
    }
    return tracker;
  }

  all(): EntityState[] {
    return ENTITY_DEFINITIONS.map((d) => this.states.get(d.entityId) as EntityState);
  }

  get(entityId: string): EntityState | undefined {
    return this.states.get(entityId);
  }

  /** Re-reads the file (another process — a CLI command — may have changed the states). */
  async reload(): Promise<void> {
    const stored = await readJson(this.path, FileSchema).catch(() => null);
    for (const s of stored?.states ?? []) {
      const old = this.states.get(s.entity_id);
      // Only newer states count: the file may still hold what this process wrote a moment ago.
      if (old && Date.parse(s.last_updated) > Date.parse(old.last_updated)) {
        this.states.set(s.entity_id, s);
        this.changes.emit({ entity_id: s.entity_id, old_state: old, new_state: s });
      }
    }
  }

  private set(entityId: string, state: string, attributes: Record<string, unknown> = {}, forceUpdate = false): void {
    const old = this.states.get(entityId) as EntityState;
    const merged = { ...old.attributes, ...attributes };
    const stateChanged = old.state !== state;
    const attrsChanged = JSON.stringify(merged) !== JSON.stringify(old.attributes);
    if (!stateChanged && !attrsChanged && !forceUpdate) return;
    const at = stateTime(this.now());
    const next: EntityState = {
      entity_id: entityId,
      state,
      attributes: merged,
      last_changed: stateChanged ? at : old.last_changed,
      last_updated: at,
      context: { id: contextId(this.now()), parent_id: null, user_id: null },
    };
    this.states.set(entityId, next);
    this.changes.emit({ entity_id: entityId, old_state: old, new_state: next });
    void this.persist();
  }

  private persisting: Promise<void> = Promise.resolve();

  private persist(): Promise<void> {
    this.persisting = this.persisting
      .catch(() => undefined)
      .then(() => writeJsonAtomic(this.path, { version: 1, states: this.all() }));
    return this.persisting;
  }

  /** Waits for pending writes (before exit). */
  async flush(): Promise<void> {
    await this.persisting.catch(() => undefined);
  }

  onManagerEvent(event: ManagerEvent): void {
    if (!isStateEvent(event)) return;
    this.set(ENTITY.managerState, event.manager_state);
    if (event.manager_state === 'create_backup') {
      // An event entity's state is the time it fired, in milliseconds (Home Assistant's isoformat timespec).
      this.set(
        ENTITY.automaticBackupEvent,
        this.now().toISOString().replace('Z', '+00:00'),
        { event_type: event.state, backup_stage: event.stage, failed_reason: event.reason },
        true,
      );
    }
  }

  onSchedule(info: { next: string | null; lastAttempted: string | null; lastCompleted: string | null }): void {
    this.set(ENTITY.nextScheduled, timestampState(info.next));
    this.set(ENTITY.lastAttempted, timestampState(info.lastAttempted));
    this.set(ENTITY.lastSuccessful, timestampState(info.lastCompleted));
  }
}
