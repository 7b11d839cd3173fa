// Backup locations in the settings: older documents gain an empty list, ids are checked and must be
// unique, and credentials never appear in the settings document.

import { describe, expect, it } from 'vitest';
import { migrateSettings, settingsDocument, SETTINGS_MINOR_VERSION } from '../../src/settings/settings-store.js';
import { BackupConfigSchema, defaultConfig } from '../../src/settings/schemas.js';

describe('locations in the settings', () => {
  it('adds an empty list of locations to settings written before locations existed', () => {
    const { locations: _l, ...older } = defaultConfig();
    expect(migrateSettings(1, 3, older as Record<string, unknown>).locations).toEqual([]);
    expect(SETTINGS_MINOR_VERSION).toBeGreaterThanOrEqual(4);
  });

  it('keeps locations across a save and load, with defaults filled in', () => {
    const config = { ...defaultConfig(), locations: [{ id: 's3.offsite', kind: 's3', name: 'Off site', settings: { bucket: 'b' } }] };
    const parsed = BackupConfigSchema.parse(config);
    expect(parsed.locations[0]).toEqual({ id: 's3.offsite', kind: 's3', name: 'Off site', settings: { bucket: 'b' }, bandwidth_limit: null, verify: true });
    const doc = settingsDocument(parsed) as { minor_version: number; data: Record<string, unknown> };
    expect(migrateSettings(1, doc.minor_version, doc.data).locations).toEqual(parsed.locations);
  });

  it('refuses path-like or duplicate location ids', () => {
    const loc = { id: 'folder.nas', kind: 'folder', name: 'NAS', settings: { path: '/mnt/nas' } };
    expect(() => BackupConfigSchema.parse({ ...defaultConfig(), locations: [{ ...loc, id: 'folder/../x' }] })).toThrow();
    expect(() => BackupConfigSchema.parse({ ...defaultConfig(), locations: [loc, loc] })).toThrow(/unique/);
  });
});
