// The catalogue shared by `lifeboat serve` and a command beside it, written by both at once: every
// entry either one puts is there afterwards.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalogue } from '../../src/manager/catalogue.js';
import { runSettingsWriter } from '../helpers/settings-writer.js';
import { tmpDir } from '../helpers/tmp.js';

describe('a catalogue two processes write at once', () => {
  it('keeps every entry each of them put, and this process’s too', async () => {
    const path = join(await tmpDir(), 'catalogue.json');
    const here = await Catalogue.load(path);
    const mine = (async () => {
      for (let i = 0; i < 60; i++) await here.put({ backup_id: `here-${i}`, failed_agent_ids: [], database_warnings: [] });
    })();
    const codes = await Promise.all([runSettingsWriter('catalogue', path, 80), runSettingsWriter('catalogue', path, 80), mine]);
    expect(codes.slice(0, 2)).toEqual([0, 0]);
    const ids = (JSON.parse(await readFile(path, 'utf8')) as { backups: { backup_id: string }[] }).backups.map((b) => b.backup_id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith('here-'))).toHaveLength(60);
    expect(ids).toHaveLength(60 + 80 + 80);
  });
});
