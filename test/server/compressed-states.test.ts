// Home Assistant's compressed entity messages (subscribe_entities): a state in full with times in
// epoch seconds and a bare context id, and each change as only what differs, with removed
// attributes listed apart; the rules follow Home Assistant's websocket_api messages.
import { describe, expect, it } from 'vitest';
import type { EntityState } from '../../src/core/types.js';
import { addedStates, changeMessage, compressedState, stateDiff } from '../../src/server/compressed-states.js';

const base: EntityState = {
  entity_id: 'sensor.backup_backup_manager_state',
  state: 'idle',
  attributes: { options: ['idle', 'create_backup'], friendly_name: 'Backup Backup Manager state' },
  last_changed: '2026-07-02T04:45:13.250+00:00',
  last_updated: '2026-07-02T04:45:13.250+00:00',
  context: { id: '01J1C0NTEXT000000000000000', parent_id: null, user_id: null },
};

const later = (iso: string, changes: Partial<EntityState>): EntityState => ({ ...base, last_updated: iso, ...changes });

describe('compressed entity states', () => {
  it('sends a state in full with epoch seconds, the context as its id, and lu only when it differs from lc', () => {
    expect(compressedState(base)).toEqual({ s: 'idle', a: base.attributes, c: base.context.id, lc: 1782967513.25 });
    const touched = later('2026-07-02T04:46:00+00:00', {});
    expect(compressedState(touched)).toEqual({ s: 'idle', a: base.attributes, c: base.context.id, lc: 1782967513.25, lu: 1782967560 });
    // The same instant written another way is the same time.
    expect(compressedState({ ...base, last_updated: '2026-07-02T06:45:13.25+02:00' })).not.toHaveProperty('lu');
    const byUser = { ...base, context: { ...base.context, user_id: 'abc' } } as unknown as EntityState;
    expect(compressedState(byUser).c).toEqual(byUser.context);
  });

  it('starts a subscription with every state under "a"', () => {
    expect(addedStates([base])).toEqual({ a: { [base.entity_id]: compressedState(base) } });
    expect(addedStates([])).toEqual({ a: {} });
  });

  it('sends a change of state with its new state, lc and context id only', () => {
    const next = later('2026-07-02T04:50:00+00:00', { state: 'create_backup', last_changed: '2026-07-02T04:50:00+00:00', context: { id: 'NEW', parent_id: null, user_id: null } });
    expect(stateDiff(base, next)).toEqual({ '+': { s: 'create_backup', lc: 1782967800, c: 'NEW' } });
    expect(changeMessage({ entity_id: base.entity_id, old_state: base, new_state: next })).toEqual({ c: { [base.entity_id]: stateDiff(base, next) } });
  });

  it('sends changed attributes with lu when the state stays, and lists removed attributes under "-"', () => {
    const next = later('2026-07-02T04:51:00+00:00', { attributes: { options: ['idle', 'create_backup'], friendly_name: 'Renamed', icon: 'mdi:backup' } });
    expect(stateDiff(base, next)).toEqual({ '+': { lu: 1782967860, a: { friendly_name: 'Renamed', icon: 'mdi:backup' } } });
    const fewer = later('2026-07-02T04:52:00+00:00', { attributes: { friendly_name: base.attributes.friendly_name } });
    expect(stateDiff(base, fewer)).toEqual({ '+': { lu: 1782967920 }, '-': { a: ['options'] } });
  });

  it('sends a context that gained a user as an object carrying the new id', () => {
    const next = later('2026-07-02T04:53:00+00:00', { context: { id: 'NEWER', parent_id: null, user_id: 'abc' } as unknown as EntityState['context'] });
    expect(stateDiff(base, next)['+']).toEqual({ lu: 1782967980, c: { user_id: 'abc', id: 'NEWER' } });
  });

  it('sends a new entity in full and a removed one under "r"', () => {
    expect(changeMessage({ entity_id: base.entity_id, old_state: null, new_state: base })).toEqual(addedStates([base]));
    expect(changeMessage({ entity_id: base.entity_id, old_state: base, new_state: null })).toEqual({ r: [base.entity_id] });
  });
});
