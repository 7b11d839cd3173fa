// The catalogue is shared by `lifeboat serve` and a command run beside it: what one writes, the
// other reads, and a change by one never puts back an older copy over the other's entries.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Catalogue, type CatalogueEntry } from '../../src/manager/catalogue.js';
import { tmpDir } from '../helpers/tmp.js';

const entry = (id: string, extra: Partial<CatalogueEntry> = {}): CatalogueEntry => ({ backup_id: id, failed_agent_ids: [], database_warnings: [], ...extra });

describe('a catalogue two processes share', () => {
  it('reads what the other wrote, and keeps it when it writes', async () => {
    const path = join(await tmpDir(), 'catalogue.json');
    const serve = await Catalogue.load(path);
    const command = await Catalogue.load(path);
    await command.put(entry('made-by-cli', { failed_agent_ids: ['s3.off'], kept_locally_for_retry: true }));
    expect(serve.get('made-by-cli')).toMatchObject({ kept_locally_for_retry: true });
    await serve.put(entry('made-by-serve'));
    await command.remove('gone');
    const fresh = await Catalogue.load(path);
    expect(fresh.get('made-by-cli')).toMatchObject({ failed_agent_ids: ['s3.off'], kept_locally_for_retry: true });
    expect(fresh.get('made-by-serve')).toBeDefined();
    await serve.remove('made-by-cli');
    expect(command.get('made-by-cli')).toBeUndefined();
    expect(command.get('made-by-serve')).toBeDefined();
  });

  it("changes an entry as saved at that moment, keeping what the other process changed in it", async () => {
    const path = join(await tmpDir(), 'catalogue.json');
    const serve = await Catalogue.load(path);
    const command = await Catalogue.load(path);
    await serve.put(entry('b', { failed_agent_ids: ['s3.a', 'sftp.b'], kept_locally_for_retry: true }));
    expect(command.get('b')?.failed_agent_ids).toEqual(['s3.a', 'sftp.b']);
    await serve.update('b', (saved) => ({ ...saved, failed_agent_ids: saved.failed_agent_ids.filter((id) => id !== 's3.a') }));
    // The command still holds the entry as it read it; its change is made to the saved one.
    await command.update('b', (saved) => ({ ...saved, failed_agent_ids: saved.failed_agent_ids.filter((id) => id !== 'sftp.b') }));
    expect((await Catalogue.load(path)).get('b')).toMatchObject({ failed_agent_ids: [], kept_locally_for_retry: true });
    await command.update('missing', (saved) => ({ ...saved, kept_locally_for_retry: true }));
    expect((await Catalogue.load(path)).get('missing')).toBeUndefined();
  });

  it('holds nothing from a damaged file, and writes a whole one again', async () => {
    const path = join(await tmpDir(), 'catalogue.json');
    await writeFile(path, '{"version": 1, "backups": [');
    const c = await Catalogue.load(path);
    expect(c.get('x')).toBeUndefined();
    await c.put(entry('x'));
    expect((await Catalogue.load(path)).get('x')).toBeDefined();
  });
});
