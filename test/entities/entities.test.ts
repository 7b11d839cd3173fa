// The Backup entities as Home Assistant state objects: ids, friendly names, device classes,
// options and event types; the automatic-backup event entity firing on every create event (manual
// creates too) with event_type / backup_stage / failed_reason and the event time as its state;
// timestamp sensors; last_changed vs last_updated; states kept across reopening.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LifeboatCore } from '../../src/core/lifeboat-core.js';
import { ENTITY } from '../../src/entities/entity-definitions.js';
import { EntityTracker, timestampState, type EntityState, type StateChange } from '../../src/entities/entity-tracker.js';
import type { ManagerEvent } from '../../src/manager/events.js';
import { makeInstallation } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { formatIsoLocal } from '../../src/util/time.js';

function clock(startIso: string) {
  let t = Date.parse(startIso);
  return {
    now: () => ({ epochMs: t, micros: 0 }),
    advance: (ms: number) => {
      t += ms;
    },
    iso: () => new Date(t).toISOString().replace('Z', '+00:00'),
    /** The time as Home Assistant writes last_changed / last_updated (Python's isoformat). */
    stateTime: () => formatIsoLocal({ epochMs: t, micros: 0 }, 'UTC'),
  };
}

const create = (state: 'in_progress' | 'completed' | 'failed', stage: string | null = null, reason: string | null = null): ManagerEvent =>
  ({ manager_state: 'create_backup', reason, stage, state }) as ManagerEvent;

async function openTracker(startIso = '2026-07-02T02:45:00.000Z') {
  const dir = await tmpDir();
  const c = clock(startIso);
  const path = join(dir, 'entities.json');
  const tracker = await EntityTracker.open(path, c);
  return { dir, path, c, tracker, state: (id: string) => tracker.get(id) as EntityState };
}

describe('EntityTracker: Home Assistant state objects', () => {
  it('derives the five Backup entities with ids, friendly names, device classes, options and event types', async () => {
    const { tracker } = await openTracker();
    const all = tracker.all();
    expect(all.map((s) => s.entity_id)).toEqual([
      'sensor.backup_backup_manager_state',
      'sensor.backup_next_scheduled_automatic_backup',
      'sensor.backup_last_successful_automatic_backup',
      'sensor.backup_last_attempted_automatic_backup',
      'event.backup_automatic_backup',
    ]);
    const byId = Object.fromEntries(all.map((s) => [s.entity_id, s]));
    expect(byId[ENTITY.managerState]?.attributes).toMatchObject({
      friendly_name: 'Backup Backup Manager state',
      device_class: 'enum',
      options: ['idle', 'create_backup', 'blocked', 'receive_backup', 'restore_backup'],
    });
    for (const [id, name] of [
      [ENTITY.nextScheduled, 'Backup Next scheduled automatic backup'],
      [ENTITY.lastSuccessful, 'Backup Last successful automatic backup'],
      [ENTITY.lastAttempted, 'Backup Last attempted automatic backup'],
    ] as const) {
      // Timestamp sensors carry no extra attributes.
      expect(byId[id]?.attributes).toEqual({ device_class: 'timestamp', friendly_name: name });
    }
    expect(byId[ENTITY.automaticBackupEvent]?.attributes).toEqual({
      event_types: ['completed', 'failed', 'in_progress'],
      event_type: null,
      backup_stage: null,
      failed_reason: null,
      friendly_name: 'Backup Automatic backup',
    });
    for (const s of all) {
      expect(s.state).toBe('unknown');
      expect(s.context).toEqual({ id: expect.stringMatching(/^[0-9A-Z]{26}$/), parent_id: null, user_id: null });
    }
  });

  it('tracks the manager state from state events and ignores progress events', async () => {
    const { tracker, state } = await openTracker();
    tracker.onManagerEvent({ manager_state: 'idle' });
    expect(state(ENTITY.managerState).state).toBe('idle');
    tracker.onManagerEvent(create('in_progress'));
    expect(state(ENTITY.managerState).state).toBe('create_backup');
    tracker.onManagerEvent({ manager_state: 'create_backup', agent_id: 'backup.local', uploaded_bytes: 1, total_bytes: 2 });
    tracker.onManagerEvent({ lifeboat: 'progress', manager_state: 'idle', step: 'write_archive', done_bytes: 1, total_bytes: null });
    expect(state(ENTITY.managerState).state).toBe('create_backup');
    expect(state(ENTITY.automaticBackupEvent).attributes.event_type).toBe('in_progress');
    tracker.onManagerEvent({ manager_state: 'idle' });
    expect(state(ENTITY.managerState).state).toBe('idle');
  });

  it('fires the event entity on each create event with event_type, backup_stage and failed_reason; its state is the event time', async () => {
    const { tracker, c, state } = await openTracker('2026-07-02T02:45:13.123Z');
    const fired: StateChange[] = [];
    tracker.changes.subscribe((ch) => {
      if (ch.entity_id === ENTITY.automaticBackupEvent) fired.push(ch);
    });
    const steps: [ManagerEvent, string, string | null, string | null][] = [
      [create('in_progress'), 'in_progress', null, null],
      [create('in_progress', 'home_assistant'), 'in_progress', 'home_assistant', null],
      [create('in_progress', 'upload_to_agents'), 'in_progress', 'upload_to_agents', null],
      [create('in_progress', 'cleaning_up'), 'in_progress', 'cleaning_up', null],
      [create('completed'), 'completed', null, null],
    ];
    for (const [event, type, stage, reason] of steps) {
      c.advance(250);
      tracker.onManagerEvent(event);
      const s = state(ENTITY.automaticBackupEvent);
      expect(s.state).toBe(c.iso().replace('Z', '+00:00'));
      expect(s.attributes).toMatchObject({ event_type: type, backup_stage: stage, failed_reason: reason });
    }
    expect(fired).toHaveLength(5);
    expect(state(ENTITY.automaticBackupEvent).state).toBe('2026-07-02T02:45:14.373+00:00');
    c.advance(1000);
    tracker.onManagerEvent(create('failed', null, 'upload_failed'));
    expect(state(ENTITY.automaticBackupEvent).attributes).toMatchObject({ event_type: 'failed', backup_stage: null, failed_reason: 'upload_failed' });
    // Idle, receive and restore events do not fire it.
    const before = state(ENTITY.automaticBackupEvent);
    c.advance(1000);
    tracker.onManagerEvent({ manager_state: 'idle' });
    tracker.onManagerEvent({ manager_state: 'receive_backup', reason: null, stage: 'receive_file', state: 'in_progress' });
    tracker.onManagerEvent({ manager_state: 'restore_backup', reason: null, stage: null, state: 'completed' });
    expect(state(ENTITY.automaticBackupEvent)).toEqual(before);
  });

  it('fires the event entity for a manual backup too, through the whole create sequence, without touching the automatic-backup sensors', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    await makeInstallation(inst);
    const core = await LifeboatCore.open({ installation: inst });
    const seen: string[] = [];
    core.status.onEntityChange((ch) => {
      if (ch.entity_id === ENTITY.automaticBackupEvent) seen.push(`${String(ch.new_state.attributes.event_type)}/${String(ch.new_state.attributes.backup_stage)}`);
    });
    const managerStates: string[] = [];
    core.status.onEntityChange((ch) => {
      if (ch.entity_id === ENTITY.managerState) managerStates.push(ch.new_state.state);
    });
    await core.create.run({ name: 'Manual' });
    await core.close();
    expect(seen).toEqual(['in_progress/null', 'in_progress/home_assistant', 'in_progress/upload_to_agents', 'in_progress/cleaning_up', 'completed/null']);
    expect(managerStates).toEqual(['create_backup', 'idle']);
    expect(core.status.entity(ENTITY.lastAttempted)?.state).toBe('unknown');
    expect(core.status.entity(ENTITY.lastSuccessful)?.state).toBe('unknown');
  });

  it("gives timestamp sensors 'unknown' for null and a UTC time in whole seconds otherwise", async () => {
    expect(timestampState(null)).toBe('unknown');
    expect(timestampState('not a date')).toBe('unknown');
    expect(timestampState('2026-07-02T04:45:13.987654+02:00')).toBe('2026-07-02T02:45:13+00:00');
    expect(timestampState('2026-11-01T01:30:00-04:00')).toBe('2026-11-01T05:30:00+00:00');
    const { tracker, state } = await openTracker();
    tracker.onSchedule({ next: '2026-07-03T04:45:00+02:00', lastAttempted: '2026-07-02T04:45:13.123456+02:00', lastCompleted: null });
    expect(state(ENTITY.nextScheduled).state).toBe('2026-07-03T02:45:00+00:00');
    expect(state(ENTITY.lastAttempted).state).toBe('2026-07-02T02:45:13+00:00');
    expect(state(ENTITY.lastSuccessful).state).toBe('unknown');
    tracker.onSchedule({ next: null, lastAttempted: '2026-07-02T04:45:13.123456+02:00', lastCompleted: '2026-07-02T04:46:00+02:00' });
    expect(state(ENTITY.nextScheduled).state).toBe('unknown');
    expect(state(ENTITY.lastSuccessful).state).toBe('2026-07-02T02:46:00+00:00');
  });

  it('moves last_changed only when the state changes and last_updated only when something changed', async () => {
    const { tracker, c, state } = await openTracker('2026-07-02T02:45:00.000Z');
    const t0 = c.stateTime();
    tracker.onManagerEvent({ manager_state: 'idle' });
    expect(state(ENTITY.managerState)).toMatchObject({ state: 'idle', last_changed: t0, last_updated: t0 });
    c.advance(5000);
    tracker.onManagerEvent({ manager_state: 'idle' });
    expect(state(ENTITY.managerState)).toMatchObject({ last_changed: t0, last_updated: t0 });
    const t1 = c.stateTime();
    tracker.onManagerEvent(create('in_progress'));
    expect(state(ENTITY.managerState)).toMatchObject({ state: 'create_backup', last_changed: t1, last_updated: t1 });

    tracker.onSchedule({ next: '2026-07-03T04:45:00+02:00', lastAttempted: null, lastCompleted: null });
    const attempted = state(ENTITY.lastAttempted);
    c.advance(5000);
    const t2 = c.stateTime();
    // Same values again: nothing moves. A new next run: only that sensor moves.
    tracker.onSchedule({ next: '2026-07-03T04:45:00+02:00', lastAttempted: null, lastCompleted: null });
    tracker.onSchedule({ next: '2026-07-04T04:45:00+02:00', lastAttempted: null, lastCompleted: null });
    expect(state(ENTITY.lastAttempted)).toEqual(attempted);
    expect(state(ENTITY.nextScheduled)).toMatchObject({ last_changed: t2, last_updated: t2 });

    // Two create events in the same instant: the state (the event time) stays, only the attributes change.
    c.advance(1000);
    const t3 = c.stateTime();
    tracker.onManagerEvent(create('in_progress', 'home_assistant'));
    const first = state(ENTITY.automaticBackupEvent);
    tracker.onManagerEvent(create('in_progress', 'upload_to_agents'));
    const second = state(ENTITY.automaticBackupEvent);
    expect(second.state).toBe(first.state);
    expect(second.last_changed).toBe(t3);
    expect(second.last_updated).toBe(t3);
    expect(second.attributes.backup_stage).toBe('upload_to_agents');
    // Microseconds, as Python's isoformat writes them (none when the instant is a whole second).
    expect(t3).toBe('2026-07-02T02:45:11+00:00');
    c.advance(250);
    tracker.onManagerEvent({ manager_state: 'idle' });
    expect(state(ENTITY.managerState).last_changed).toBe('2026-07-02T02:45:11.250000+00:00');
  });

  it('keeps the states across reopening and re-reads changes another process made', async () => {
    const { tracker, c, path } = await openTracker('2026-07-02T02:45:00.000Z');
    tracker.onManagerEvent({ manager_state: 'idle' });
    c.advance(1000);
    tracker.onManagerEvent(create('in_progress', 'home_assistant'));
    c.advance(1000);
    tracker.onManagerEvent(create('failed', null, 'disk_full'));
    tracker.onManagerEvent({ manager_state: 'idle' });
    tracker.onSchedule({ next: '2026-07-03T04:45:00+02:00', lastAttempted: '2026-07-02T04:45:00+02:00', lastCompleted: null });
    await tracker.flush();
    const stored = JSON.parse(await readFile(path, 'utf8')) as { version: number; states: EntityState[] };
    expect(stored.version).toBe(1);
    expect(stored.states).toEqual(tracker.all());

    const later = clock('2026-07-05T00:00:00.000Z');
    const reopened = await EntityTracker.open(path, later);
    expect(reopened.all()).toEqual(tracker.all());
    expect(reopened.get(ENTITY.automaticBackupEvent)?.attributes).toMatchObject({ event_type: 'failed', failed_reason: 'disk_full', backup_stage: null });

    // Another process (a CLI command) records an event: reload() picks it up and announces it.
    const other = await EntityTracker.open(path, later);
    other.onManagerEvent(create('completed'));
    await other.flush();
    const announced: string[] = [];
    reopened.changes.subscribe((ch) => announced.push(ch.entity_id));
    await reopened.reload();
    expect(announced).toEqual(expect.arrayContaining([ENTITY.automaticBackupEvent, ENTITY.managerState]));
    expect(reopened.get(ENTITY.automaticBackupEvent)?.attributes.event_type).toBe('completed');
  });

  it('starts from unknown states when the states file is damaged', async () => {
    const { path } = await openTracker();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path, '{ not json');
    const tracker = await EntityTracker.open(path);
    expect(tracker.all().map((s) => s.state)).toEqual(['unknown', 'unknown', 'unknown', 'unknown', 'unknown']);
  });
});
