// The web UI's job tracker folds the manager's events into what the progress card shows: the
// step, per-location upload bytes, and a rate and ETA from Lifeboat's progress events.

import { describe, expect, it } from 'vitest';
import { JobTracker } from '../../web/src/state/job-tracker.js';

function tracker() {
  let now = 0;
  const t = new JobTracker(() => now);
  return { t, advance: (ms: number) => (now += ms) };
}

describe('JobTracker', () => {
  it('follows a create job through its stages, with uploads per location', () => {
    const { t } = tracker();
    t.onState({ manager_state: 'create_backup', reason: null, stage: null, state: 'in_progress' });
    t.onState({ manager_state: 'create_backup', reason: null, stage: 'home_assistant', state: 'in_progress' });
    t.onUpload({ manager_state: 'create_backup', agent_id: 'folder.nas', uploaded_bytes: 500, total_bytes: 2000 });
    t.onUpload({ manager_state: 'create_backup', agent_id: 's3.offsite', uploaded_bytes: 100, total_bytes: 2000 });
    expect(t.current?.step).toBe('upload_to_agents');
    expect(t.current?.uploads).toEqual({ 'folder.nas': { uploaded: 500, total: 2000 }, 's3.offsite': { uploaded: 100, total: 2000 } });
    t.onState({ manager_state: 'create_backup', reason: null, stage: 'cleaning_up', state: 'in_progress' });
    t.onState({ manager_state: 'create_backup', reason: null, stage: null, state: 'completed' });
    t.onState({ manager_state: 'idle' });
    expect(t.current).toMatchObject({ state: 'completed', step: 'finished', seen: ['start', 'home_assistant', 'upload_to_agents', 'cleaning_up', 'finished'] });
    expect(t.running).toBe(false);
  });

  it('computes the rate over the last seconds and an ETA when the total is known', () => {
    const { t, advance } = tracker();
    t.onState({ manager_state: 'restore_backup', reason: null, stage: null, state: 'in_progress' });
    const progress = (done: number) => t.onProgress({ lifeboat: 'progress', manager_state: 'restore_backup', step: 'extract', done_bytes: done, total_bytes: 10_000_000 });
    progress(0);
    expect(t.current?.bytes).toMatchObject({ rate: null, eta: null });
    advance(1000);
    progress(2_000_000);
    expect(t.current?.step).toBe('extract');
    expect(t.current?.bytes).toMatchObject({ done: 2_000_000, rate: 2_000_000, eta: 4 });
    advance(1000);
    progress(4_000_000);
    expect(t.current?.bytes?.eta).toBe(3);
  });

  it('keeps a failure with its reason, and ignores an outcome replayed on subscribing', () => {
    const { t } = tracker();
    t.onState({ manager_state: 'create_backup', reason: 'upload_failed', stage: null, state: 'failed' });
    expect(t.current).toBeNull();
    t.onState({ manager_state: 'receive_backup', reason: null, stage: null, state: 'in_progress' });
    t.onState({ manager_state: 'receive_backup', reason: null, stage: 'receive_file', state: 'in_progress' });
    t.onState({ manager_state: 'receive_backup', reason: 'unknown_error', stage: null, state: 'failed' });
    expect(t.current).toMatchObject({ kind: 'receive_backup', state: 'failed', reason: 'unknown_error', step: 'receive_file' });
    t.dismiss();
    expect(t.current).toBeNull();
  });
});
