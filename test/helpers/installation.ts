// A small installation for manager tests: YAML, .storage, a symlink, an executable, excluded files,
// and a recorder-like SQLite database whose rows tests can add and count.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { makeTree } from './tree.js';

export async function makeInstallation(dir: string): Promise<void> {
  await makeTree(dir, {
    '.HA_VERSION': '2026.7.3',
    'configuration.yaml': 'homeassistant:\n  name: Home\n',
    'automations.yaml': '[]\n',
    '.storage/core.uuid': JSON.stringify({ version: 1, key: 'core.uuid', data: { uuid: 'abcdefabcdefabcdefabcdefabcdef12' } }),
    '.storage/core.config': '{"data":{}}',
    'scripts/run.sh': { content: '#!/bin/sh\n', mode: 0o755, mtime: 1700000000.5 },
    'secrets.yaml': { content: 'x: y\n', mode: 0o600 },
    'links/config': { symlink: '../configuration.yaml' },
    'home-assistant.log': 'log\n',
    'tts/x.mp3': 'tts',
    'backups/readme.txt': 'kept',
  });
  const db = new Database(join(dir, 'home-assistant_v2.db'));
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE states (id INTEGER PRIMARY KEY, v TEXT)');
  const ins = db.prepare('INSERT INTO states (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < 500; i++) ins.run(`row ${i}`);
  })();
  db.close();
}

export function countRows(dir: string): number {
  const db = new Database(join(dir, 'home-assistant_v2.db'), { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM states').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

export function addRows(dir: string, n: number): void {
  const db = new Database(join(dir, 'home-assistant_v2.db'));
  const ins = db.prepare('INSERT INTO states (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < n; i++) ins.run(`later ${i}`);
  })();
  db.close();
}

/** Paths that are not part of a comparison of installation trees. */
export const NOT_COMPARED = ['backups/', 'home-assistant_v2.db', 'home-assistant_v2.db-wal', 'home-assistant_v2.db-shm'];
