// backup.json inputs shared by archive tests (the reference document's worked example).
import type { BackupMeta } from '../../src/archive/backup-writer.js';

export const META: BackupMeta = {
  date: '2026-07-02T04:45:13.123456+02:00',
  name: 'Automatic backup 2026.7.3',
  haVersion: '2026.7.3',
  instanceId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
  withAutomaticSettings: true,
  excludeDatabase: false,
};
