// Automatic-backup settings: Home Assistant's backup/config/update semantics (agents merged per
// agent, create_backup merged shallowly, retention and schedule replaced whole), input validation,
// the versioned settings file, and the encryption key: Home Assistant's format generated without
// modulo bias, fingerprints, the emergency kit, the 0600 secrets file and the keyring; changes
// made one after another (settings-processes.system.test.ts has those of other processes).
import { mkdir, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { instantFromDate } from '../../src/util/time.js';
import { describe, expect, it } from 'vitest';
import { applyConfigUpdate } from '../../src/settings/config-update.js';
import { REDACTED } from '../../src/util/log-redaction.js';
import { findKeyInText, KEY_RE } from '../../src/util/key-text.js';
import { emergencyKit, generateKey, keyFingerprint } from '../../src/settings/encryption-key.js';
import { ConfigUpdateSchema, defaultConfig, type BackupConfig, type ConfigUpdate } from '../../src/settings/schemas.js';
import { SecretsStore } from '../../src/settings/secrets-store.js';
import { SettingsService } from '../../src/settings/settings-service.js';
import { loadSettings, saveSettings, SETTINGS_KEY, SETTINGS_MINOR_VERSION } from '../../src/settings/settings-store.js';
import { tmpDir } from '../helpers/tmp.js';

const KEY_A = 'K7Q2-9XWD-M4T8-ZP1R-H6NC-3VBY-E5JL';
const KEY_B = 'A1B2-C3D4-E5F6-G7H8-J9K0-L1M2-N3P4';

function configured(): BackupConfig {
  const c = defaultConfig();
  c.agents = { 'backup.local': { protected: false, retention: { copies: 3, days: null } } };
  c.create_backup.agent_ids = ['backup.local'];
  c.create_backup.name = 'Nightly';
  c.retention = { copies: 5, days: 10 };
  c.schedule = { recurrence: 'daily', days: [], time: '04:45:00', cron: null };
  return c;
}

const update = (u: ConfigUpdate) => ConfigUpdateSchema.parse(u);

async function openService(dir: string, now = () => new Date('2026-07-02T04:45:00Z')) {
  return SettingsService.open({ settings: join(dir, 'data', 'settings.json'), secrets: join(dir, 'data', 'secrets.json') }, { now: () => instantFromDate(now()) });
}

describe('applyConfigUpdate (backup/config/update semantics)', () => {
  it('gives a new agent protected: true and retention null unless provided', () => {
    const { config } = applyConfigUpdate(defaultConfig(), update({ agents: { 's3.remote': {} } }));
    expect(config.agents['s3.remote']).toEqual({ protected: true, retention: null });
    const onlyRetention = applyConfigUpdate(defaultConfig(), update({ agents: { 'sftp.box': { retention: { copies: 2, days: null } } } }));
    expect(onlyRetention.config.agents['sftp.box']).toEqual({ protected: true, retention: { copies: 2, days: null } });
    const unprotected = applyConfigUpdate(defaultConfig(), update({ agents: { 'x.y': { protected: false } } }));
    expect(unprotected.config.agents['x.y']).toEqual({ protected: false, retention: null });
  });

  it('merges agents per agent, replacing only the keys provided and leaving other agents alone', () => {
    const current = configured();
    current.agents['s3.remote'] = { protected: true, retention: null };
    const { config } = applyConfigUpdate(current, update({ agents: { 'backup.local': { protected: true } } }));
    expect(config.agents['backup.local']).toEqual({ protected: true, retention: { copies: 3, days: null } });
    expect(config.agents['s3.remote']).toEqual({ protected: true, retention: null });
    const cleared = applyConfigUpdate(current, update({ agents: { 'backup.local': { retention: null } } }));
    expect(cleared.config.agents['backup.local']).toEqual({ protected: false, retention: null });
    expect(cleared.retentionChanged).toBe(true);
  });

  it('takes an agent retention with only copies or only days, the other key null; an empty one keeps everything on that agent', () => {
    const copies = applyConfigUpdate(configured(), update({ agents: { 'backup.local': { retention: { copies: 4 } } } }));
    expect(copies.config.agents['backup.local']).toEqual({ protected: false, retention: { copies: 4, days: null } });
    const days = applyConfigUpdate(configured(), update({ agents: { 's3.remote': { retention: { days: 14 } } } }));
    expect(days.config.agents['s3.remote']).toEqual({ protected: true, retention: { copies: null, days: 14 } });
    expect(days.retentionChanged).toBe(true);
    // Its own retention without limits (not null, which follows the global one).
    const forever = applyConfigUpdate(configured(), update({ agents: { 'backup.local': { retention: {} } } }));
    expect(forever.config.agents['backup.local']?.retention).toEqual({ copies: null, days: null });
  });

  it('merges create_backup shallowly: keys not sent keep their values', () => {
    const { config, agentIdsChanged } = applyConfigUpdate(configured(), update({ create_backup: { include_database: false } }));
    expect(config.create_backup).toEqual({ ...configured().create_backup, include_database: false });
    expect(agentIdsChanged).toBe(false);
    const withIds = applyConfigUpdate(configured(), update({ create_backup: { agent_ids: ['backup.local', 's3.remote'] } }));
    expect(withIds.config.create_backup.agent_ids).toEqual(['backup.local', 's3.remote']);
    expect(withIds.config.create_backup.name).toBe('Nightly');
    expect(withIds.agentIdsChanged).toBe(true);
  });

  it('replaces the retention whole: a key not sent becomes null', () => {
    const { config, retentionChanged } = applyConfigUpdate(configured(), update({ retention: { copies: 7 } }));
    expect(config.retention).toEqual({ copies: 7, days: null });
    expect(retentionChanged).toBe(true);
    const same = applyConfigUpdate(configured(), update({ retention: { copies: 5, days: 10 } }));
    expect(same.retentionChanged).toBe(false);
  });

  it('replaces the schedule whole: sending only the recurrence clears a configured time', () => {
    const { config, scheduleChanged } = applyConfigUpdate(configured(), update({ schedule: { recurrence: 'daily' } }));
    expect(config.schedule).toEqual({ recurrence: 'daily', days: [], time: null, cron: null });
    expect(scheduleChanged).toBe(true);
    const empty = applyConfigUpdate(configured(), update({ schedule: {} }));
    expect(empty.config.schedule).toEqual({ recurrence: 'never', days: [], time: null, cron: null });
    const same = applyConfigUpdate(configured(), update({ schedule: { recurrence: 'daily', time: '04:45:00' } }));
    expect(same.scheduleChanged).toBe(false);
  });

  it('reports a password string (encryption on) and null (encryption off), and never stores it in the config', () => {
    const on = applyConfigUpdate(defaultConfig(), update({ create_backup: { password: KEY_A } }));
    expect(on.password).toBe(KEY_A);
    expect(on.config.create_backup.encrypted).toBe(true);
    expect(JSON.stringify(on.config)).not.toContain(KEY_A);
    const off = applyConfigUpdate(on.config, update({ create_backup: { password: null } }));
    expect(off.password).toBeNull();
    expect(off.config.create_backup.encrypted).toBe(false);
    const untouched = applyConfigUpdate(on.config, update({ create_backup: { name: 'x' } }));
    expect(untouched.password).toBeUndefined();
    expect(untouched.config.create_backup.encrypted).toBe(true);
  });

  it('keeps the key when a client sends back the redacted password it was shown', () => {
    const on = applyConfigUpdate(defaultConfig(), update({ create_backup: { password: KEY_A } })).config;
    const resent = applyConfigUpdate(on, update({ create_backup: { agent_ids: ['backup.local'], password: REDACTED } }));
    expect(resent.password).toBeUndefined();
    expect(resent.config.create_backup).toMatchObject({ agent_ids: ['backup.local'], encrypted: true });
  });

  it('sets automatic_backups_configured and raises no change flag for unrelated keys', () => {
    const r = applyConfigUpdate(defaultConfig(), update({ automatic_backups_configured: true }));
    expect(r.config.automatic_backups_configured).toBe(true);
    expect({ s: r.scheduleChanged, r: r.retentionChanged, a: r.agentIdsChanged, p: r.password }).toEqual({ s: false, r: false, a: false, p: undefined });
  });

  it('does not modify the config it is given', () => {
    const current = configured();
    const before = structuredClone(current);
    applyConfigUpdate(current, update({ agents: { 'new.agent': {} }, create_backup: { agent_ids: [] }, schedule: {}, retention: {} }));
    expect(current).toEqual(before);
  });

  it("stores a schedule time given as HH:MM in Home Assistant's HH:MM:SS form", () => {
    // Reference §5.2: schedule.time is `HH:MM:SS` or null (Home Assistant parses the input with
    // cv.time and stores time.isoformat()), so backup/config/info reports "04:45:00".
    const { config } = applyConfigUpdate(defaultConfig(), update({ schedule: { recurrence: 'daily', time: '04:45' } }));
    expect(config.schedule.time).toBe('04:45:00');
  });
});

describe('ConfigUpdateSchema (input validation)', () => {
  const ok = (u: unknown) => ConfigUpdateSchema.safeParse(u).success;

  it('rejects copies or days of 0 and accepts null or whole numbers from 1', () => {
    expect(ok({ retention: { copies: 0 } })).toBe(false);
    expect(ok({ retention: { days: 0 } })).toBe(false);
    expect(ok({ retention: { copies: 1.5 } })).toBe(false);
    expect(ok({ agents: { 'backup.local': { retention: { copies: 0, days: null } } } })).toBe(false);
    expect(ok({ retention: { copies: 1, days: null } })).toBe(true);
    expect(ok({ retention: { copies: null, days: 30 } })).toBe(true);
    expect(ok({ agents: { 'backup.local': { retention: { copies: 2 } } } })).toBe(true);
    expect(ok({ agents: { 'backup.local': { retention: { days: 2 } } } })).toBe(true);
    expect(ok({ agents: { 'backup.local': { retention: { copie: 2 } } } })).toBe(false);
  });

  it('rejects duplicate weekdays and duplicate agent ids', () => {
    expect(ok({ schedule: { recurrence: 'custom_days', days: ['mon', 'mon'] } })).toBe(false);
    expect(ok({ create_backup: { agent_ids: ['backup.local', 'backup.local'] } })).toBe(false);
    expect(ok({ schedule: { recurrence: 'custom_days', days: ['mon', 'fri'] } })).toBe(true);
    expect(ok({ create_backup: { agent_ids: ['backup.local', 's3.remote'] } })).toBe(true);
    expect(ok({ schedule: { days: ['someday'] } })).toBe(false);
  });

  it('accepts a time as HH:MM or HH:MM:SS and rejects anything else', () => {
    expect(ok({ schedule: { recurrence: 'daily', time: '04:45' } })).toBe(true);
    expect(ok({ schedule: { recurrence: 'daily', time: '23:59:59' } })).toBe(true);
    expect(ok({ schedule: { recurrence: 'daily', time: null } })).toBe(true);
    for (const bad of ['24:00', '4:45:00:00', '12:60', '12:30:60', 'noon', '']) expect(ok({ schedule: { time: bad } }), bad).toBe(false);
  });

  it('rejects unknown keys at the top level', () => {
    expect(ok({ automatic_backups_configured: true, bogus: 1 })).toBe(false);
    expect(ok({ type: 'backup/config/update' })).toBe(false);
  });

  it('rejects unknown keys inside schedule, retention and create_backup instead of dropping them', () => {
    // Home Assistant's voluptuous schemas prevent extra keys at every level. Dropping them silently
    // is dangerous: a typo such as "recurence" turns `{"schedule":{"recurence":"daily"}}` into an
    // empty schedule, which (replaced whole) switches automatic backups off without an error.
    expect(ok({ schedule: { recurence: 'daily' } })).toBe(false);
    expect(ok({ retention: { copie: 3 } })).toBe(false);
    expect(ok({ create_backup: { agent_idz: ['backup.local'] } })).toBe(false);
  });

  it('rejects a cron expression that does not parse and an unknown time zone, saying why', () => {
    expect(ok({ schedule: { recurrence: 'daily', cron: '30 3 * * 1-5' } })).toBe(true);
    expect(ok({ schedule: { recurrence: 'daily', cron: null } })).toBe(true);
    expect(ok({ time_zone: 'Europe/Berlin' })).toBe(true);
    expect(ok({ time_zone: null })).toBe(true);
    const cron = ConfigUpdateSchema.safeParse({ schedule: { recurrence: 'daily', cron: '30 3 * *' } });
    expect(cron.success).toBe(false);
    expect(cron.error?.issues[0]?.message).toMatch(/^cron "30 3 \* \*": a cron expression has 5 fields/);
    expect(ok({ schedule: { recurrence: 'daily', cron: '61 3 * * *' } })).toBe(false);
    const zone = ConfigUpdateSchema.safeParse({ time_zone: 'Mars/Olympus_Mons' });
    expect(zone.success).toBe(false);
    expect(zone.error?.issues[0]?.message).toBe('unknown time zone "Mars/Olympus_Mons"');
  });
});

describe('allowed_hosts (names lifeboat serve answers to)', () => {
  it('is replaced whole by an update and accepts host names and IP addresses only', () => {
    const update = (hosts: unknown) => ConfigUpdateSchema.safeParse({ allowed_hosts: hosts });
    const parsed = update(['lifeboat.lan', 'Proxy.Example.', '192.168.1.5', '[fd00::5]', 'my_container']);
    expect(parsed.success).toBe(true);
    const config = applyConfigUpdate({ ...defaultConfig(), allowed_hosts: ['old.lan'] }, parsed.data as ConfigUpdate).config;
    expect(config.allowed_hosts).toEqual(['lifeboat.lan', 'Proxy.Example.', '192.168.1.5', '[fd00::5]', 'my_container']);
    for (const bad of ['http://lifeboat.lan', 'lifeboat.lan:8124', 'lifeboat.lan/x', '*.lan', 'a b', '']) {
      const r = update([bad]);
      expect(r.success, bad).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/host names or IP addresses/);
    }
  });
});

describe('recorder_database (a recorder database in a server)', () => {
  it('is auto by default, set by an update to auto, off or custom, and nothing else', () => {
    expect(defaultConfig().recorder_database).toBe('auto');
    for (const mode of ['off', 'custom', 'auto'] as const) {
      const parsed = ConfigUpdateSchema.parse({ recorder_database: mode });
      expect(applyConfigUpdate(defaultConfig(), parsed).config.recorder_database).toBe(mode);
    }
    expect(ConfigUpdateSchema.safeParse({ recorder_database: 'mysql://hass:pw@db/ha' }).success).toBe(false);
  });
});

describe('settings file', () => {
  it('migrates a document of an older minor version, filling the newer fields with defaults', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'settings.json');
    const old = {
      version: 1,
      minor_version: 1,
      key: SETTINGS_KEY,
      data: {
        agents: { 'backup.local': { protected: true, retention: null } },
        automatic_backups_configured: true,
        create_backup: { agent_ids: ['backup.local'], include_addons: null, include_all_addons: false, include_database: false, include_folders: null, name: 'Old', encrypted: true },
        last_attempted_automatic_backup: '2026-07-01T04:45:00+02:00',
        last_completed_automatic_backup: '2026-07-01T04:46:00+02:00',
        retention: { copies: 4, days: null },
        schedule: { recurrence: 'custom_days', days: ['mon', 'thu'], time: '03:00:00' },
        time_zone: 'Europe/Berlin',
        excludes: ['www/cams/**'],
      },
    };
    await writeFile(path, JSON.stringify(old));
    const config = await loadSettings(path);
    expect(config.schedule).toEqual({ recurrence: 'custom_days', days: ['mon', 'thu'], time: '03:00:00', cron: null });
    expect(config.generational).toBeNull();
    expect(config.notifications).toEqual(defaultConfig().notifications);
    expect(config.create_backup.name).toBe('Old');
    expect(config.create_backup.include_database).toBe(false);
    expect(config.retention).toEqual({ copies: 4, days: null });
    expect(config.last_completed_automatic_backup).toBe('2026-07-01T04:46:00+02:00');
    expect(config.excludes).toEqual(['www/cams/**']);
    expect(config.allowed_hosts).toEqual([]);
    expect(config.recorder_database).toBe('auto');
    await saveSettings(path, config);
    const saved = JSON.parse(await readFile(path, 'utf8')) as { version: number; minor_version: number; key: string; data: BackupConfig };
    expect([saved.version, saved.minor_version, saved.key]).toEqual([1, SETTINGS_MINOR_VERSION, SETTINGS_KEY]);
    expect(saved.data).toEqual(config);
  });

  it('refuses settings written by a newer major version', async () => {
    const dir = await tmpDir();
    const path = join(dir, 'settings.json');
    await writeFile(path, JSON.stringify({ version: 2, minor_version: 0, key: SETTINGS_KEY, data: {} }));
    await expect(loadSettings(path)).rejects.toThrow(/newer/);
  });

  it('gives the defaults when there is no settings file yet', async () => {
    const dir = await tmpDir();
    expect(await loadSettings(join(dir, 'missing.json'))).toEqual(defaultConfig());
  });
});

describe('SettingsService and the encryption key', () => {
  it("generates a key in Home Assistant's format when automatic backups are first configured", async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    expect(service.secrets.currentKey).toBeNull();
    const change = await service.update({ automatic_backups_configured: true, create_backup: { agent_ids: ['backup.local'] } });
    const key = service.secrets.currentKey as string;
    expect(key).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){6}$/);
    expect(key).toHaveLength(34);
    expect(change.keyChanged).toBe(true);
    expect(service.config.create_backup.encrypted).toBe(true);
    expect(service.automaticPassword).toBe(key);
    expect(service.keyFingerprint).toBe(keyFingerprint(key));
    // The settings file holds no key; the secrets file does.
    expect(await readFile(join(dir, 'data', 'settings.json'), 'utf8')).not.toContain(key);
    expect(await readFile(join(dir, 'data', 'secrets.json'), 'utf8')).toContain(key);
    // Configuring again keeps the key.
    const again = await service.update({ automatic_backups_configured: true, schedule: { recurrence: 'daily' } });
    expect(again.keyChanged).toBe(false);
    expect(service.secrets.currentKey).toBe(key);
  });

  it('makes no key when automatic backups are configured with the password explicitly null', async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    await service.update({ automatic_backups_configured: true, create_backup: { password: null } });
    expect(service.secrets.currentKey).toBeNull();
    expect(service.config.create_backup.encrypted).toBe(false);
    expect(service.automaticPassword).toBeNull();
  });

  it('uses a given password as the key, and null turns encryption off while keeping the key', async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    const on = await service.update({ create_backup: { password: KEY_A } });
    expect(on.keyChanged).toBe(true);
    expect(service.automaticPassword).toBe(KEY_A);
    const off = await service.update({ create_backup: { password: null } });
    expect(off.keyChanged).toBe(false);
    expect(service.automaticPassword).toBeNull();
    expect(service.secrets.currentKey).toBe(KEY_A);
  });

  it('records an automatic backup’s completion with the backup’s id, and its attempt without touching the id', async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    await service.recordAutomatic('last_completed_automatic_backup', '2026-07-02T04:46:00+02:00', 'c0ffee12');
    await service.recordAutomatic('last_attempted_automatic_backup', '2026-07-03T04:45:00+02:00');
    const saved = await loadSettings(join(dir, 'data', 'settings.json'));
    expect(saved).toMatchObject({
      last_attempted_automatic_backup: '2026-07-03T04:45:00+02:00',
      last_completed_automatic_backup: '2026-07-02T04:46:00+02:00',
      last_completed_automatic_backup_id: 'c0ffee12',
    });
  });

  it('rejects an invalid payload without saving anything', async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    await expect(service.update({ retention: { copies: 0 } })).rejects.toThrow();
    await expect(stat(join(dir, 'data', 'settings.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('publishes each change with its flags on the change stream', async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    const seen: { s: boolean; r: boolean }[] = [];
    service.changes.subscribe((c) => seen.push({ s: c.scheduleChanged, r: c.retentionChanged }));
    await service.update({ schedule: { recurrence: 'daily', time: '04:45' } });
    await service.update({ retention: { copies: 3 } });
    await service.update({ schedule: { recurrence: 'daily', time: '04:45' } });
    expect(seen).toEqual([
      { s: true, r: false },
      { s: false, r: true },
      { s: false, r: false },
    ]);
  });

  it('keeps retired keys in the keyring after a rotation, so older backups still find theirs', async () => {
    const dir = await tmpDir();
    let t = Date.parse('2026-07-02T04:45:00Z');
    const service = await openService(dir, () => new Date(t));
    await service.update({ automatic_backups_configured: true });
    const first = service.secrets.currentKey as string;
    t += 60_000;
    const second = await service.rotateKey();
    expect(second).not.toBe(first);
    expect(second).toMatch(KEY_RE);
    expect(service.secrets.currentKey).toBe(second);
    expect(service.automaticPassword).toBe(second);
    expect(service.secrets.keyring.map((k) => [k.key, k.retired_at])).toEqual([
      [second, null],
      [first, '2026-07-02T04:46:00.000Z'],
    ]);
    expect(service.secrets.candidateKeys(keyFingerprint(first))).toEqual([first, second]);
    expect(service.secrets.candidateKeys(keyFingerprint(second))).toEqual([second, first]);
    // The keyring survives reopening.
    const reopened = await openService(dir);
    expect(reopened.secrets.keyring.map((k) => k.key)).toEqual([second, first]);
    expect(reopened.secrets.currentKey).toBe(second);
  });

  it('builds every change on what another process saved, so neither process loses an update', async () => {
    const dir = await tmpDir();
    const serve = await openService(dir);
    const cli = await openService(dir);
    const seen: { s: boolean; r: boolean }[] = [];
    serve.changes.subscribe((c) => seen.push({ s: c.scheduleChanged, r: c.retentionChanged }));
    await cli.update({ schedule: { recurrence: 'daily', time: '03:15' } });
    await serve.update({ retention: { copies: 4 } });
    await cli.update({ create_backup: { name: 'Nightly' } });
    await serve.recordAutomatic('last_attempted_automatic_backup', '2026-07-02T03:15:00.000Z');
    const saved = (await openService(dir)).config;
    expect(saved.schedule.time).toBe('03:15:00');
    expect(saved.retention.copies).toBe(4);
    expect(saved.create_backup.name).toBe('Nightly');
    expect(saved.last_attempted_automatic_backup).toBe('2026-07-02T03:15:00.000Z');
    // serve heard of each change the other process made before it made its own.
    expect(seen.filter((c) => c.s)).toHaveLength(2);
  });

  it('takes in a key rotated by another process on refresh, and announces it', async () => {
    const dir = await tmpDir();
    const serve = await openService(dir);
    await serve.update({ automatic_backups_configured: true });
    const cli = await openService(dir);
    const rotated = await cli.rotateKey();
    const keyChanges: boolean[] = [];
    serve.changes.subscribe((c) => keyChanges.push(c.keyChanged));
    expect(serve.automaticPassword).not.toBe(rotated);
    await serve.refresh();
    expect(serve.automaticPassword).toBe(rotated);
    expect(serve.keyFingerprint).toBe(keyFingerprint(rotated));
    expect(keyChanges).toEqual([true]);
    await serve.refresh();
    expect(keyChanges).toEqual([true]);
  });
});

describe('key format, generation and fingerprint', () => {
  it('generates 34-character keys of 7 dash-separated groups of 4 from A–Z and 0–9', () => {
    for (let i = 0; i < 200; i++) {
      const key = generateKey();
      expect(key).toHaveLength(34);
      expect(key).toMatch(/^[A-Z0-9]{4}(-[A-Z0-9]{4}){6}$/);
    }
  });

  it('rejects bytes 252–255 instead of reducing them modulo 36', () => {
    const calls: Buffer[] = [Buffer.alloc(32, 255), Buffer.from([252, 253, 254, ...Array.from({ length: 29 }, (_, i) => i)]), Buffer.from(Array.from({ length: 32 }, (_, i) => 36 + i))];
    let n = 0;
    const key = generateKey((size) => {
      expect(size).toBe(32);
      return calls[n++] as Buffer;
    });
    // 29 usable bytes 0..28 in the second block: A..Z, 0, 1 (28 symbols), byte 28 unused.
    expect(key).toBe('ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ01');
    expect(n).toBe(2);
  });

  it('maps a full cycle of random bytes to exactly uniform symbols (no modulo bias)', () => {
    // One byte per call, so the accepted bytes form a contiguous stream of 0..251 cycles.
    let next = 0;
    const cycling = () => Buffer.from([next++ % 256]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 252 * 4; i++) for (const c of generateKey(cycling).replace(/-/g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    // 1008 keys × 28 symbols = 28224 accepted bytes = 112 full cycles of 0..251: 784 per symbol.
    expect(counts.size).toBe(36);
    expect(new Set(counts.values())).toEqual(new Set([784]));
  });

  // 5 %: a fair draw strays that far about once in 10^8 runs; a modulo bias would be about 10 %.
  it('draws every symbol within a few percent of uniform over many real keys', () => {
    const counts = new Map<string, number>();
    const keys = 20_000;
    for (let i = 0; i < keys; i++) for (const c of generateKey().replace(/-/g, '')) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (keys * 28) / 36;
    expect(counts.size).toBe(36);
    for (const [symbol, count] of counts) expect(Math.abs(count - expected) / expected, symbol).toBeLessThan(0.05);
  });

  it('gives a stable, non-secret fingerprint that differs per key', () => {
    const fp = keyFingerprint(KEY_A);
    expect(fp).toMatch(/^[0-9a-f]{4}-[0-9a-f]{4}$/);
    expect(keyFingerprint(KEY_A)).toBe(fp);
    expect(keyFingerprint(KEY_B)).not.toBe(fp);
    const many = new Set(Array.from({ length: 500 }, () => keyFingerprint(generateKey())));
    expect(many.size).toBeGreaterThan(495);
  });

  it('finds the key in an emergency kit (also with CRLF line ends) and nothing in other text', () => {
    const kit = emergencyKit({ key: KEY_A, date: '7/2/2026, 4:45:00 AM', locationName: 'Home', instanceUrl: 'http://homeassistant.local:8123' });
    expect(kit).toContain('Encryption key:\n' + KEY_A);
    expect(kit).toContain(keyFingerprint(KEY_A));
    expect(kit).toContain('https://www.home-assistant.io/more-info/backup-emergency-kit');
    expect(findKeyInText(kit)).toBe(KEY_A);
    expect(findKeyInText(kit.replace(/\n/g, '\r\n'))).toBe(KEY_A);
    expect(findKeyInText('Home\nhttp://x\nnot-a-key\nK7Q2-9XWD-M4T8\n')).toBeNull();
  });
});

describe('secrets file', () => {
  it('is written with mode 0600 and its existing folder is tightened to 0700', async () => {
    const dir = await tmpDir();
    const folder = join(dir, 'data');
    await mkdir(folder, { mode: 0o755 });
    await chmod(folder, 0o755);
    const store = await SecretsStore.open(join(folder, 'secrets.json'));
    await store.setKey(KEY_A, new Date());
    expect((await stat(join(folder, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });

  it('creates a missing folder with mode 0700 before writing the key into it', async () => {
    // SecretsStore.open chmods the folder only if it already exists; when it does not, the first
    // save creates it through writeFileAtomic's plain mkdir, i.e. 0777 & ~umask (usually 0755).
    const dir = await tmpDir();
    const folder = join(dir, 'fresh', 'data');
    const store = await SecretsStore.open(join(folder, 'secrets.json'));
    await store.setKey(KEY_A, new Date());
    expect((await stat(join(folder, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(folder)).mode & 0o777).toBe(0o700);
  });

  it('stays 0600 after later writes (rotation, location credentials)', async () => {
    const dir = await tmpDir();
    const store = await SecretsStore.open(join(dir, 'secrets.json'));
    await store.setKey(KEY_A, new Date());
    await store.setKey(KEY_B, new Date());
    await store.setLocationSecrets('s3.remote', { secret_access_key: 'x' });
    expect((await stat(join(dir, 'secrets.json'))).mode & 0o777).toBe(0o600);
    expect(store.keyring.map((k) => k.key)).toEqual([KEY_B, KEY_A]);
  });
});

describe('concurrent changes', () => {
  it('applies updates that arrive together one after another, losing none', async () => {
    const dir = await tmpDir();
    const service = await openService(dir);
    await Promise.all([
      service.update({ schedule: { recurrence: 'daily', time: '03:30' } }),
      service.update({ retention: { copies: 5 } }),
      service.update({ create_backup: { agent_ids: ['backup.local'] } }),
      service.recordAutomatic('last_attempted_automatic_backup', '2026-07-02T04:45:13+02:00'),
    ]);
    expect(service.config.schedule).toMatchObject({ recurrence: 'daily', time: '03:30:00' });
    expect(service.config.retention).toEqual({ copies: 5, days: null });
    expect(service.config.create_backup.agent_ids).toEqual(['backup.local']);
    expect(service.config.last_attempted_automatic_backup).toBe('2026-07-02T04:45:13+02:00');
    const reopened = await openService(dir);
    expect(reopened.config.retention).toEqual({ copies: 5, days: null });
    expect(reopened.config.schedule.time).toBe('03:30:00');
  });
});
