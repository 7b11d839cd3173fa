// The adapter for a recorder database in a server, by its kind.

import type { RecorderDatabase } from '../recorder-config.js';
import type { ExternalRecorder, ServerDatabase } from './external-recorder.js';
import { MysqlRecorder } from './mysql-recorder.js';
import { PostgresRecorder } from './postgres-recorder.js';

export type { ServerDatabase } from './external-recorder.js';

export function isServerDatabase(db: RecorderDatabase): db is ServerDatabase {
  return db.kind === 'mysql' || db.kind === 'postgresql';
}

export function externalRecorder(db: ServerDatabase): ExternalRecorder {
  return db.kind === 'mysql' ? new MysqlRecorder(db) : new PostgresRecorder(db);
}
