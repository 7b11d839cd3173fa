// Notifications: delivery to a generic webhook (JSON) and to ntfy (message body, Title / Priority /
// Tags headers) against a real HTTP receiver on 127.0.0.1, failures reported instead of thrown; and
// the rules: a failed automatic backup, a location failing several times in a row (once per streak),
// no success for N days (at most once a day), with counters that survive a restart.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationRules } from '../../src/core/notification-rules.js';
import type { Notification } from '../../src/core/notifier.js';
import { sendNotification } from '../../src/integrations/notifier.js';
import { instantFromDate } from '../../src/util/time.js';
import { defaultConfig, type NotificationSettings } from '../../src/settings/schemas.js';
import { startReceiver, unreachableUrl, type Receiver } from '../helpers/http-receiver.js';
import { tmpDir } from '../helpers/tmp.js';

const settings = (over: Partial<NotificationSettings> = {}): NotificationSettings => ({ ...defaultConfig().notifications, ...over });

const failed: Notification = {
  kind: 'automatic_backup_failed',
  title: 'Automatic backup failed',
  message: 'The automatic backup failed (upload_failed). Locations that failed: s3.remote.',
  priority: 'high',
  data: { reason: 'upload_failed', backup_id: 'abcd1234', failed_agent_ids: ['s3.remote'] },
};

interface Logged {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

function recordingLogger() {
  const lines: Logged[] = [];
  return {
    lines,
    log: {
      info: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'info', message, fields }),
      warn: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'warn', message, fields }),
      error: (message: string, fields?: Record<string, unknown>) => lines.push({ level: 'error', message, fields }),
    },
  };
}

async function openRules(over: Partial<NotificationSettings> = {}, dir?: string) {
  const folder = dir ?? (await tmpDir());
  const sent: Notification[] = [];
  const logger = recordingLogger();
  let current = settings(over);
  const rules = await NotificationRules.open(
    join(folder, 'notifications.json'),
    () => current,
    async (n) => {
      sent.push(n);
      return [{ channel: 'webhook', ok: true }];
    },
    logger.log,
  );
  return { rules, sent, dir: folder, logger, set: (s: Partial<NotificationSettings>) => (current = settings({ ...over, ...s })) };
}

describe('sendNotification over HTTP', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('posts JSON to the webhook and an ntfy request (message body; Title, Priority, Tags headers) to the topic', async () => {
    const before = receiver.requests.length;
    const at = new Date('2026-07-02T02:45:13.000Z');
    const results = await sendNotification(settings({ webhook_url: receiver.url('/hook'), ntfy_url: receiver.url('/backups') }), failed, undefined, { now: () => instantFromDate(at) });
    expect(results).toEqual(expect.arrayContaining([{ channel: 'webhook', ok: true }, { channel: 'ntfy', ok: true }]));
    expect(results).toHaveLength(2);
    const got = receiver.requests.slice(before);
    const hook = got.find((r) => r.path === '/hook');
    const ntfy = got.find((r) => r.path === '/backups');
    expect(hook?.method).toBe('POST');
    expect(hook?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(hook?.body ?? '')).toEqual({
      source: 'lifeboat',
      kind: 'automatic_backup_failed',
      title: 'Automatic backup failed',
      message: failed.message,
      priority: 'high',
      sent_at: '2026-07-02T02:45:13.000Z',
      reason: 'upload_failed',
      backup_id: 'abcd1234',
      failed_agent_ids: ['s3.remote'],
    });
    expect(ntfy?.method).toBe('POST');
    expect(ntfy?.body).toBe(failed.message);
    expect(ntfy?.headers.title).toBe('Automatic backup failed');
    expect(ntfy?.headers.priority).toBe('high');
    expect(ntfy?.headers.tags).toBe('warning,floppy_disk');
  });

  it('sends only to the configured channels, and ntfy headers stay ASCII', async () => {
    expect(await sendNotification(settings(), failed)).toEqual([]);
    const before = receiver.requests.length;
    const results = await sendNotification(settings({ ntfy_url: receiver.url('/only-ntfy') }), { ...failed, title: 'Sicherung fehlgeschlagen – Ärger', priority: 'default', kind: 'test' });
    expect(results).toEqual([{ channel: 'ntfy', ok: true }]);
    const [r] = receiver.requests.slice(before);
    expect(r?.headers.title).toBe('Sicherung fehlgeschlagen ? ?rger');
    expect(r?.headers.priority).toBe('default');
    expect(r?.headers.tags).toBe('white_check_mark');
  });

  it('reports ok:false for a channel that answers 500 or cannot be reached, without throwing', async () => {
    receiver.respond('/broken', 500);
    const down = await unreachableUrl('/topic');
    const results = await sendNotification(settings({ webhook_url: receiver.url('/broken'), ntfy_url: down }), failed);
    const byChannel = Object.fromEntries(results.map((r) => [r.channel, r]));
    expect(byChannel.webhook).toEqual({ channel: 'webhook', ok: false, error: 'HTTP 500' });
    expect(byChannel.ntfy?.ok).toBe(false);
    expect(byChannel.ntfy?.error).toEqual(expect.any(String));
  });
});

describe('NotificationRules', () => {
  it('notifies once when an automatic backup failed, naming the reason and the failed locations', async () => {
    const { rules, sent } = await openRules();
    await rules.automaticBackupFinished({ ok: false, backupId: 'abcd1234', reason: 'upload_failed', error: null, failedAgentIds: ['s3.remote', 'sftp.box'] });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'automatic_backup_failed', priority: 'high', data: { reason: 'upload_failed', backup_id: 'abcd1234', failed_agent_ids: ['s3.remote', 'sftp.box'] } });
    expect(sent[0]?.message).toContain('upload_failed');
    expect(sent[0]?.message).toContain('s3.remote');
    expect(sent[0]?.message).toContain('sftp.box');
  });

  it('names the error of a backup that failed as a whole, and stays quiet after a clean success', async () => {
    const { rules, sent } = await openRules();
    await rules.automaticBackupFinished({ ok: true, backupId: 'a', reason: null, error: null, failedAgentIds: [] });
    expect(sent).toHaveLength(0);
    await rules.automaticBackupFinished({ ok: false, backupId: null, reason: 'disk_full', error: 'The disk is full', failedAgentIds: [] });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.message).toContain('disk_full');
    expect(sent[0]?.message).toContain('The disk is full');
  });

  it('logs a delivery failure as a warning instead of throwing', async () => {
    const folder = await tmpDir();
    const logger = recordingLogger();
    const rules = await NotificationRules.open(join(folder, 'n.json'), () => settings(), async () => [{ channel: 'ntfy', ok: false, error: 'HTTP 500' }], logger.log);
    await rules.automaticBackupFinished({ ok: false, backupId: null, reason: 'upload_failed', error: null, failedAgentIds: ['x.y'] });
    expect(logger.lines).toEqual([expect.objectContaining({ level: 'warn', fields: { error: 'HTTP 500' } })]);
  });

  it('notifies once per streak when a location fails N times in a row, and starts over after a success', async () => {
    const { rules, sent } = await openRules({ failing_location_after: 3 });
    const streak = () => sent.filter((n) => n.kind === 'location_failing');
    await rules.locationResults({ 's3.remote': false, 'backup.local': true });
    await rules.locationResults({ 's3.remote': false, 'backup.local': true });
    expect(streak()).toHaveLength(0);
    await rules.locationResults({ 's3.remote': false, 'backup.local': true });
    expect(streak()).toHaveLength(1);
    expect(streak()[0]).toMatchObject({ priority: 'high', data: { agent_id: 's3.remote', consecutive_failures: 3 } });
    expect(streak()[0]?.title).toContain('s3.remote');
    await rules.locationResults({ 's3.remote': false });
    await rules.locationResults({ 's3.remote': false });
    expect(streak()).toHaveLength(1);
    await rules.locationResults({ 's3.remote': true });
    await rules.locationResults({ 's3.remote': false });
    await rules.locationResults({ 's3.remote': false });
    expect(streak()).toHaveLength(1);
    await rules.locationResults({ 's3.remote': false });
    expect(streak()).toHaveLength(2);
    expect(streak()[1]?.data).toEqual({ agent_id: 's3.remote', consecutive_failures: 3 });
  });

  it('keeps the failure counters across a restart', async () => {
    const first = await openRules({ failing_location_after: 2 });
    await first.rules.locationResults({ 'sftp.box': false });
    const second = await openRules({ failing_location_after: 2 }, first.dir);
    await second.rules.locationResults({ 'sftp.box': false });
    expect(second.sent.filter((n) => n.kind === 'location_failing')).toHaveLength(1);
    const third = await openRules({ failing_location_after: 2 }, first.dir);
    await third.rules.locationResults({ 'sftp.box': false });
    expect(third.sent).toHaveLength(0);
  });

  it('warns when no automatic backup succeeded for N days, at most once a day', async () => {
    const { rules, sent, dir } = await openRules({ no_success_days: 2 });
    const last = '2026-07-01T04:45:00.000Z';
    let now = Date.parse('2026-07-02T12:00:00Z');
    await rules.checkStaleness(last, true, new Date(now));
    expect(sent).toHaveLength(0);
    now = Date.parse('2026-07-03T05:00:00Z');
    await rules.checkStaleness(last, true, new Date(now));
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ kind: 'no_recent_success', priority: 'high', data: { last_completed_automatic_backup: last, days: 2 } });
    for (const h of [1, 6, 23]) {
      await rules.checkStaleness(last, true, new Date(now + h * 3_600_000));
    }
    expect(sent).toHaveLength(1);
    await rules.checkStaleness(last, true, new Date(now + 24 * 3_600_000 + 1000));
    expect(sent).toHaveLength(2);
    // The once-a-day limit survives a restart.
    const again = await openRules({ no_success_days: 2 }, dir);
    await again.rules.checkStaleness(last, true, new Date(now + 30 * 3_600_000));
    expect(again.sent).toHaveLength(0);
  });

  it('does not warn about staleness when automatic backups are not configured, the check is off, or the last success is recent', async () => {
    const off = await openRules({ no_success_days: null });
    await off.rules.checkStaleness(null, true, new Date('2026-07-10T00:00:00Z'));
    const notConfigured = await openRules({ no_success_days: 1 });
    await notConfigured.rules.checkStaleness(null, false, new Date('2026-07-10T00:00:00Z'));
    const recent = await openRules({ no_success_days: 1 });
    await recent.rules.checkStaleness('2026-07-09T12:00:00Z', true, new Date('2026-07-10T00:00:00Z'));
    expect([...off.sent, ...notConfigured.sent, ...recent.sent]).toEqual([]);
  });

  it('does not claim N days without a success right after automatic backups were set up', async () => {
    // `lifeboat serve` checks staleness at start-up. With no_success_days: 2 and no automatic
    // backup completed yet, the first check fires at once ("… configured more than 2 days ago or
    // have never run"), although the setup is minutes old: checkStaleness treats a null
    // last_completed_automatic_backup as infinitely old and keeps no "since" time of its own.
    const { rules, sent } = await openRules({ no_success_days: 2 });
    const setUp = Date.parse('2026-07-02T12:00:00Z');
    await rules.checkStaleness(null, true, new Date(setUp));
    await rules.checkStaleness(null, true, new Date(setUp + 25 * 3_600_000));
    expect(sent).toHaveLength(0);
    await rules.checkStaleness(null, true, new Date(setUp + 49 * 3_600_000));
    expect(sent).toHaveLength(1);
  });
});
