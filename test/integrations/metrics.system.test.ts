// GET /metrics of a running Lifeboat: behind the API's token auth (a read-only token is enough),
// strict Prometheus text that a parser accepts, numbers that match the Backup entities and the
// backups (manager state, schedule times, last operations and their durations, failures by reason,
// bytes uploaded to a second location, backups per location), and counters that survive a restart.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ENTITY } from '../../src/entities/entity-definitions.js';
import { MANAGER_STATES } from '../../src/manager/events.js';
import { makeInstallation } from '../helpers/installation.js';
import { parsePrometheusText, sampleValue, type ParsedFamily } from '../helpers/prometheus-parse.js';
import { eventually, startLifeboat, type RunningLifeboat } from '../helpers/serve-integrations.js';
import { tmpDir } from '../helpers/tmp.js';

async function scrape(lb: RunningLifeboat, token: string | null): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${lb.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

const entitySeconds = (lb: RunningLifeboat, id: string) => Date.parse(lb.core.status.entity(id)?.state ?? '') / 1000;

describe('GET /metrics', () => {
  it('needs a token, parses strictly, matches the entities and backups, and keeps its counters across a restart', async () => {
    const inst = await tmpDir();
    await makeInstallation(inst);
    let lb = await startLifeboat(inst);
    const tokens = lb.core.tokens;
    const reader = (await tokens.create('prometheus', 'read')).token;
    const admin = (await tokens.create('admin')).token;
    // A second location: a folder on this machine.
    const second = join(await tmpDir(), 'second');
    const added = await lb.core.locations.add({ kind: 'folder', name: 'second', settings: { path: second }, secrets: {}, bandwidthLimit: null, verify: false, createFolder: true });
    const secondId = added.location.id;
    await eventually(() => lb.core.backups.hasAgent(secondId), 'the second location');

    expect((await scrape(lb, null)).status).toBe(401);
    expect((await scrape(lb, 'lbt_wrong')).status).toBe(401);
    const first = await scrape(lb, reader);
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect((await scrape(lb, admin)).status).toBe(200);
    // The read-only token reads; it cannot start a backup.
    const refused = await fetch(`${lb.url}/api/services/backup/create`, { method: 'POST', headers: { authorization: `Bearer ${reader}` } });
    expect([401, 403]).toContain(refused.status);

    let m = parsePrometheusText(first.text);
    expect(sampleValue(m, 'lifeboat_manager_state', { state: 'idle' })).toBe(1);
    expect(m.get('lifeboat_next_scheduled_automatic_backup_timestamp_seconds')?.samples).toEqual([]);
    expect(sampleValue(m, 'lifeboat_location_backups', { location: 'backup.local' })).toBe(0);

    // A failure, then a daily schedule with two locations and an automatic backup, a manual one, a restore.
    await lb.core.settings.update({ create_backup: { agent_ids: ['backup.gone'] } });
    await expect(lb.core.create.automatic().then((h) => h.done)).rejects.toThrow(/available backup agent/);
    const failedReason = lb.core.status.entity(ENTITY.automaticBackupEvent)?.attributes.failed_reason;
    expect(failedReason).toBe('backup_manager_error');
    await lb.core.settings.update({
      automatic_backups_configured: true,
      create_backup: { agent_ids: ['backup.local', secondId] },
      schedule: { recurrence: 'daily', time: '04:45' },
    });
    const automatic = await (await lb.core.create.automatic()).done;
    const manual = await lb.core.create.service();
    await lb.core.restore.run({ backupId: manual.backupId, agentId: 'backup.local' });
    // The schedule sensors follow the settings in the background.
    await eventually(
      () => [ENTITY.nextScheduled, ENTITY.lastAttempted, ENTITY.lastSuccessful].every((id) => Number.isFinite(entitySeconds(lb, id))),
      'the schedule sensors set',
    );

    const scraped = await scrape(lb, reader);
    m = parsePrometheusText(scraped.text);
    for (const f of m.values()) {
      expect(f.help, f.name).toBeTruthy();
      expect(f.type === 'counter' ? f.name.endsWith('_total') : f.type === 'gauge', f.name).toBe(true);
    }
    // The state gauges and the schedule times are the entities' states.
    const managerState = lb.core.status.entity(ENTITY.managerState)?.state;
    expect(managerState).toBe('idle');
    for (const state of MANAGER_STATES) expect(sampleValue(m, 'lifeboat_manager_state', { state })).toBe(state === managerState ? 1 : 0);
    for (const [metric, entity] of [
      ['lifeboat_next_scheduled_automatic_backup_timestamp_seconds', ENTITY.nextScheduled],
      ['lifeboat_last_attempted_automatic_backup_timestamp_seconds', ENTITY.lastAttempted],
      ['lifeboat_last_successful_automatic_backup_timestamp_seconds', ENTITY.lastSuccessful],
    ] as const) {
      expect(Number.isFinite(entitySeconds(lb, entity)), entity).toBe(true);
      expect(sampleValue(m, metric), metric).toBe(entitySeconds(lb, entity));
    }
    // Failures by the reason the event entity reported; operations by result.
    expect(sampleValue(m, 'lifeboat_operation_failures_total', { operation: 'create', reason: String(failedReason) })).toBe(1);
    expect(sampleValue(m, 'lifeboat_operations_total', { operation: 'create', result: 'failed' })).toBe(1);
    expect(sampleValue(m, 'lifeboat_operations_total', { operation: 'create', result: 'completed' })).toBe(2);
    expect(sampleValue(m, 'lifeboat_operations_total', { operation: 'restore', result: 'completed' })).toBe(1);
    // Durations and times of the last create and restore.
    const now = Date.now() / 1000;
    for (const operation of ['create', 'restore']) {
      const duration = sampleValue(m, 'lifeboat_last_operation_duration_seconds', { operation }) as number;
      expect(duration, operation).toBeGreaterThan(0);
      expect(duration, operation).toBeLessThan(60);
      expect(sampleValue(m, 'lifeboat_last_operation_succeeded', { operation })).toBe(1);
      const success = sampleValue(m, 'lifeboat_last_operation_success_timestamp_seconds', { operation }) as number;
      expect(now - success).toBeLessThan(60);
      expect(sampleValue(m, 'lifeboat_last_operation_start_timestamp_seconds', { operation })).toBeLessThanOrEqual(success);
    }
    // Bytes uploaded to the second location: exactly the automatic backup's bytes.
    const uploaded = (await lb.core.backups.details(automatic.backupId)).backup?.agents[secondId]?.size;
    expect(uploaded).toBeGreaterThan(0);
    expect(sampleValue(m, 'lifeboat_uploaded_bytes_total', { location: secondId })).toBe(uploaded);
    // Backups per location, and the newest backup's size where it is.
    const { backups } = await lb.core.backups.list();
    expect(sampleValue(m, 'lifeboat_location_backups', { location: 'backup.local' })).toBe(backups.filter((b) => b.agents['backup.local']).length);
    expect(sampleValue(m, 'lifeboat_location_backups', { location: 'backup.local' })).toBe(2);
    expect(sampleValue(m, 'lifeboat_location_backups', { location: secondId })).toBe(1);
    expect(sampleValue(m, 'lifeboat_location_up', { location: secondId })).toBe(1);
    const newest = backups[0];
    expect(newest?.backup_id).toBe(manual.backupId);
    expect(sampleValue(m, 'lifeboat_last_backup_size_bytes', { location: 'backup.local' })).toBe(newest?.agents['backup.local']?.size);
    expect(sampleValue(m, 'lifeboat_location_size_bytes', { location: 'backup.local' })).toBe(
      backups.reduce((sum, b) => sum + (b.agents['backup.local']?.size ?? 0), 0),
    );

    // A restart keeps the counters and the last operations.
    const counters = (f: Map<string, ParsedFamily>) =>
      ['lifeboat_operations_total', 'lifeboat_operation_failures_total', 'lifeboat_uploaded_bytes_total', 'lifeboat_last_operation_duration_seconds'].map((n) => f.get(n)?.samples);
    await lb.stop();
    lb = await startLifeboat(inst);
    const after = parsePrometheusText((await scrape(lb, reader)).text);
    expect(counters(after)).toEqual(counters(m));
    await lb.stop();
  });
});
