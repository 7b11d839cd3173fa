import { describe, expect, it } from 'vitest';
import { ExcludeRules } from '../../src/source/exclude-rules.js';

describe("Home Assistant's exclude rules", () => {
  const withDb = ExcludeRules.forBackup({ includeDatabase: true });
  const noDb = ExcludeRules.forBackup({ includeDatabase: false });
  it.each([
    ['home-assistant.log', false],
    ['home-assistant.log.1', false],
    ['home-assistant.log.fault', false],
    ['custom_components/foo/debug.log', true],
    ['__pycache__/x.pyc', false],
    ['custom_components/foo/__pycache__/x.pyc', false],
    ['custom_components/foo/__pycache__', true],
    ['.DS_Store', false],
    ['www/icons/.DS_Store', false],
    ['home-assistant_v2.db-shm', false],
    ['zigbee/other.db-shm', true],
    ['home-assistant_v2.db', true],
    ['home-assistant_v2.db-wal', true],
    ['backups/Automatic_backup_2026.7.3_2026-07-02_04.45_13123456.tar', false],
    ['backups', true],
    ['backups/readme.txt', true],
    ['backups/old/x.tar', true],
    ['tmp_backups/2618f96d.tar', false],
    ['tts', true],
    ['tts/abc.mp3', false],
    ['tts/cache', false],
    ['OZW_Log.txt', false],
    ['.HA_RESTORE', false],
    ['.HA_RESTORE_RESULT', true],
    ['.storage/backup', true],
    ['.storage/.hidden.log', true],
  ])('%s archived: %s', (path, archived) => {
    expect(withDb.excludes(path)).toBe(!archived);
  });

  it('leaves the database and its WAL out when the database is not included', () => {
    expect(noDb.excludes('home-assistant_v2.db')).toBe(true);
    expect(noDb.excludes('home-assistant_v2.db-wal')).toBe(true);
    expect(noDb.excludes('zigbee.db')).toBe(false);
  });

  it('applies extra user globs with the same root-anchored semantics', () => {
    const rules = ExcludeRules.forBackup({ includeDatabase: true, extra: ['www/cams/**', '**/*.mp4', 'cache?', 'clip[0-9].jpg'] });
    expect(rules.excludes('www/cams')).toBe(true);
    expect(rules.excludes('www/cams/front/1.jpg')).toBe(true);
    expect(rules.excludes('media/a/b.mp4')).toBe(true);
    expect(rules.excludes('b.mp4')).toBe(true);
    expect(rules.excludes('cache1')).toBe(true);
    expect(rules.excludes('cache12')).toBe(false);
    expect(rules.excludes('clip5.jpg')).toBe(true);
    expect(rules.excludes('clipx.jpg')).toBe(false);
    expect(rules.excludes('www/cam')).toBe(false);
  });

  it('is case-sensitive', () => {
    expect(withDb.excludes('HOME-ASSISTANT.LOG')).toBe(false);
    expect(withDb.excludes('x.log')).toBe(true);
  });
});
