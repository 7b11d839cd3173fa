// The settings as every API shows them (Home Assistant's backup/config/info shape): the encryption
// key itself never appears — only whether one is used — plus the next run and Lifeboat's extras.

import type { LifeboatApp } from './lifeboat-app.js';

/** The config as the API shows it: the key is never included, only whether one is used. */
export async function publicConfig(app: LifeboatApp): Promise<Record<string, unknown>> {
  const config = app.settings.config;
  const planned = await app.nextRun();
  const { encrypted, ...createBackup } = config.create_backup;
  return {
    ...config,
    create_backup: { ...createBackup, password: encrypted && app.settings.secrets.currentKey ? '**REDACTED**' : null },
    next_automatic_backup: planned.next,
    next_automatic_backup_additional: planned.additional,
    lifeboat: { key_fingerprint: app.settings.keyFingerprint, time_zone: app.settings.timeZone },
  };
}

