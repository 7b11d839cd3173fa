import { describe, expect, it } from 'vitest';
import {
  backupName,
  buildCoreBackupJson,
  computeBackupId,
  deriveAgentBackup,
  isSafeBackupName,
  parseBackupJson,
  serializeBackupJson,
  slugifyName,
  suggestedFileName,
} from '../../src/archive/backup-json.js';
import { InvalidBackupArchive, InvalidBackupFilename } from '../../src/util/errors.js';
import { formatIsoLocal } from '../../src/util/time.js';

describe('backup id', () => {
  it.each([
    ['2026-07-02T04:45:13.123456+02:00', 'Automatic backup 2026.7.3', '2618f96d'],
    ['2024-11-22T11:48:48.727189+01:00', 'Core 2024.12.0.dev0', '23e64aec'],
    ['2026-01-01T00:00:00.000000+00:00', 'Core 2026.9.0', 'd76bc010'],
  ])('is the first 8 hex digits of SHA-1 over "%s - %s", lower-cased', (date, name, id) => {
    expect(computeBackupId(date, name)).toBe(id);
  });
});

describe('suggested file name', () => {
  it.each([
    ['Core 2024.12.0.dev0', '2024-11-22T11:48:48.727189+01:00', 'Core_2024.12.0.dev0_2024-11-22_11.48_48727189.tar'],
    ['Automatic backup 2026.7.3', '2026-07-02T04:45:13.123456+02:00', 'Automatic_backup_2026.7.3_2026-07-02_04.45_13123456.tar'],
    ['  spaced \t name ', '2026-01-01T00:00:00+00:00', 'spaced_name_2026-01-01_00.00_00000000.tar'],
  ])('%s at %s → %s', (name, date, file) => {
    expect(suggestedFileName(name, date)).toBe(file);
  });
});

describe('name safety check', () => {
  it.each([
    ['Automatic backup 2026.7.3', true],
    ['ünïcode ok', true],
    ['', false],
    ['.', false],
    ['..', false],
    ['a/b', false],
    ['a\\b', false],
    ['C:evil', false],
  ])('%j is safe: %s', (name, safe) => {
    expect(isSafeBackupName(name)).toBe(safe);
  });

  it('rejects an unsafe name when a record is derived', () => {
    const json = parseBackupJson(JSON.stringify({ slug: 'abc', name: '../x', date: '2026-01-01T00:00:00+00:00' }));
    expect(() => deriveAgentBackup(json, 1)).toThrow(InvalidBackupFilename);
  });
});

describe('derived record', () => {
  it('applies Home Assistant defaults for missing keys', () => {
    const json = parseBackupJson('{"slug":"abcd1234","name":"x","date":"2026-01-01T00:00:00+00:00"}');
    expect(deriveAgentBackup(json, 42)).toEqual({
      addons: [],
      backup_id: 'abcd1234',
      date: '2026-01-01T00:00:00+00:00',
      database_included: false,
      extra_metadata: {},
      folders: [],
      homeassistant_included: false,
      homeassistant_version: null,
      name: 'x',
      protected: false,
      size: 42,
    });
  });

  it('takes the Supervisor request date, drops the homeassistant folder and non-string extras', () => {
    const json = parseBackupJson(
      JSON.stringify({
        slug: 's',
        name: 'n',
        date: '2025-05-19T22:00:00+00:00',
        extra: { 'supervisor.backup_request_date': '2025-05-20T00:00:00+00:00', n: 1, b: true },
        homeassistant: { version: '2025.5.1', exclude_database: true },
        folders: ['homeassistant', 'ssl', 'bogus'],
        addons: [{ slug: 'core_ssh', name: 'SSH', version: '1.0' }],
      }),
    );
    const b = deriveAgentBackup(json, 0);
    expect(b.date).toBe('2025-05-20T00:00:00+00:00');
    expect(b.folders).toEqual(['ssl']);
    expect(b.extra_metadata).toEqual({ 'supervisor.backup_request_date': '2025-05-20T00:00:00+00:00', b: true });
    expect(b.database_included).toBe(false);
    expect(b.homeassistant_included).toBe(true);
    expect(b.addons).toEqual([{ slug: 'core_ssh', name: 'SSH', version: '1.0' }]);
  });

  it('reports a missing required key as an unreadable backup', () => {
    expect(() => parseBackupJson('{"name":"x","date":"d"}')).toThrow(InvalidBackupArchive);
    expect(() => parseBackupJson('{not json')).toThrow(/not valid JSON/);
  });
});

describe('writing backup.json', () => {
  it('serialises compactly with sorted keys, exactly as Core writes the reference fixture', () => {
    const json = buildCoreBackupJson({
      date: '2026-01-01T00:00:00.000000+00:00',
      name: 'Core 2026.9.0',
      haVersion: '2026.9.0',
      instanceId: '00000000000000000000000000000000',
      withAutomaticSettings: false,
      excludeDatabase: false,
      protected: false,
    });
    expect(serializeBackupJson(json)).toBe(
      '{"compressed":true,"date":"2026-01-01T00:00:00.000000+00:00","extra":{"instance_id":"00000000000000000000000000000000","with_automatic_settings":false},"homeassistant":{"exclude_database":false,"version":"2026.9.0"},"name":"Core 2026.9.0","protected":false,"slug":"d76bc010","type":"partial","version":2}',
    );
  });

  it('names backups like Home Assistant when no name is given', () => {
    expect(backupName(null, true, '2026.7.3')).toBe('Automatic backup 2026.7.3');
    expect(backupName('   ', false, '2026.7.3')).toBe('Custom backup 2026.7.3');
    expect(backupName('  Mine ', false, '2026.7.3')).toBe('Mine');
  });

  it('slugifies download names as python-slugify does', () => {
    expect(slugifyName('Automatic backup 2026.7.3')).toBe('automatic_backup_2026_7_3');
    expect(slugifyName('Ünïcode — name!')).toBe('unicode_name');
    expect(slugifyName('!!!')).toBe('unknown');
  });
});

describe('ISO dates', () => {
  it('formats like Python isoformat in a zone, dropping a zero fraction', () => {
    const instant = { epochMs: Date.UTC(2026, 6, 2, 2, 45, 13, 123), micros: 456 };
    expect(formatIsoLocal(instant, 'Europe/Berlin')).toBe('2026-07-02T04:45:13.123456+02:00');
    expect(formatIsoLocal({ epochMs: Date.UTC(2026, 0, 1), micros: 0 }, 'UTC')).toBe('2026-01-01T00:00:00+00:00');
    expect(formatIsoLocal({ epochMs: Date.UTC(2026, 0, 1, 12), micros: 1 }, 'America/New_York')).toBe('2026-01-01T07:00:00.000001-05:00');
  });
});
