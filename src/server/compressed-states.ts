// Home Assistant's compressed entity messages for `subscribe_entities`: every state once as
// `{"a": {entity_id: {s, a, c, lc[, lu]}}}`, then each change as the difference only,
// `{"c": {entity_id: {"+": {…}, "-": {"a": [removed attribute names]}}}}`, and removed entities
// as `{"r": [entity_id]}`. Times are seconds since the epoch; a context with nothing but its id
// travels as the id. Pure functions of the state objects.

import { isDeepStrictEqual } from 'node:util';
import type { EntityState } from '../core/types.js';

type Context = EntityState['context'];

/** An ISO time as Home Assistant's compressed messages carry it: seconds since the epoch. */
function seconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

/** The context as its id alone when it has no parent and no user, else whole. */
function compressedContext(context: Context): string | Context {
  return context.parent_id === null && context.user_id === null ? context.id : context;
}

/** One state in full (`lu` only when it differs from `lc`). */
export function compressedState(state: EntityState): Record<string, unknown> {
  return {
    s: state.state,
    a: state.attributes,
    c: compressedContext(state.context),
    lc: seconds(state.last_changed),
    ...(sameInstant(state.last_changed, state.last_updated) ? {} : { lu: seconds(state.last_updated) }),
  };
}

/** The first message of a subscription: every state in full. */
export function addedStates(states: EntityState[]): { a: Record<string, Record<string, unknown>> } {
  return { a: Object.fromEntries(states.map((s) => [s.entity_id, compressedState(s)])) };
}

/** What changed from `old` to `next`: the new values under `+`, attributes that are gone under `-`. */
export function stateDiff(old: EntityState, next: EntityState): Record<string, Record<string, unknown>> {
  const added: Record<string, unknown> = {};
  if (old.state !== next.state) added.s = next.state;
  if (!sameInstant(old.last_changed, next.last_changed)) added.lc = seconds(next.last_changed);
  else if (!sameInstant(old.last_updated, next.last_updated)) added.lu = seconds(next.last_updated);
  const context: Partial<Context> = {};
  if (old.context.parent_id !== next.context.parent_id) context.parent_id = next.context.parent_id;
  if (old.context.user_id !== next.context.user_id) context.user_id = next.context.user_id;
  if (old.context.id !== next.context.id) {
    if (Object.keys(context).length) context.id = next.context.id;
    else added.c = next.context.id;
  }
  if (Object.keys(context).length) added.c = context;
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(next.attributes)) {
    if (!isDeepStrictEqual(old.attributes[key], value)) attributes[key] = value;
  }
  if (Object.keys(attributes).length) added.a = attributes;
  const removed = Object.keys(old.attributes).filter((key) => !(key in next.attributes));
  return removed.length ? { '+': added, '-': { a: removed } } : { '+': added };
}

/** The message for one state change: the whole state when it is new, else the difference. */
export function changeMessage(change: { entity_id: string; old_state: EntityState | null; new_state: EntityState | null }): Record<string, unknown> {
  if (change.new_state === null) return { r: [change.entity_id] };
  if (change.old_state === null) return addedStates([change.new_state]);
  return { c: { [change.entity_id]: stateDiff(change.old_state, change.new_state) } };
}
