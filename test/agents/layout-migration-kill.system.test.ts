// A share full of copies in Lifeboat's first layout is moved to Home Assistant's the first time it
// is used; killing the process (SIGKILL) in the middle of that move loses no backup: every one is
// still listed with the bytes it had, and the next run finishes the move.

import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTempName } from '../../src/agents/blob-store.js';
import { suggestedFileName } from '../../src/archive/backup-json.js';
import { runCliOk } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { startCli } from '../helpers/spawn-cli.js';
import { tmpDir } from '../helpers/tmp.js';
import { bytesOf, syntheticBackup } from './location-targets.js';

const COPIES = 400;

describe("moving a share to Home Assistant's layout", () => {
  it('loses no backup when the process is killed midway, and the next run finishes the move', async () => {
    const dir = await tmpDir();
    const inst = join(dir, 'config');
    const share = join(dir, 'share');
    await runCliOk(['demo', 'init', inst, '--db-mib', '1']);
    await runCliOk(['-c', inst, 'location', 'add', 'folder', 'NAS', '--path', share, '--create']);
    const want = new Map<string, { sha: string; stem: string }>();
    for (let i = 0; i < COPIES; i++) {
      const id = `ee${String(i).padStart(6, '0')}`;
      const { backup, open } = syntheticBackup(id, 100 + i, 2_000, 1, { name: `Old ${i}` });
      const bytes = await bytesOf(open());
      const sha = createHash('sha256').update(bytes).digest('hex');
      await writeFile(join(share, `${id}.tar`), bytes);
      await writeFile(join(share, `${id}.metadata.json`), JSON.stringify({ format: 1, backup, sha256: sha }));
      want.set(id, { sha, stem: suggestedFileName(backup.name, backup.date).slice(0, -4) });
    }

    const legacyLeft = async () => (await readdir(share)).filter((n) => /^ee\d{6}\.metadata\.json$/.test(n)).length;
    const run = startCli(['-c', inst, 'backup', 'list', '--json']);
    await eventually(async () => (await legacyLeft()) < COPIES - 5, 'the move to start', 60_000, 5);
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    const left = await legacyLeft();
    expect(left, 'killed in the middle of the move').toBeGreaterThan(0);

    // Every backup's bytes are still on the share, under one name or the other.
    const onShare = new Set(await readdir(share));
    for (const [id, { sha, stem }] of want) {
      const file = onShare.has(`${stem}.tar`) ? `${stem}.tar` : `${id}.tar`;
      expect(createHash('sha256').update(await readFile(join(share, file))).digest('hex'), id).toBe(sha);
    }

    const listed = JSON.parse(await runCliOk(['-c', inst, 'backup', 'list', '--json'])) as { backups: { backup_id: string; agents: Record<string, unknown> }[] };
    const onNas = listed.backups.filter((b) => 'folder.nas' in b.agents).map((b) => b.backup_id);
    expect(onNas.sort()).toEqual([...want.keys()].sort());
    // What the killed process was writing is left as a hidden temp file (removed by the next upload's clean-up).
    const after = (await readdir(share)).filter((n) => n !== '.lifeboat-location' && !isTempName(n)).sort();
    expect(after).toEqual([...want.values()].flatMap(({ stem }) => [`${stem}.metadata.json`, `${stem}.tar`]).sort());
    for (const { sha, stem } of want.values()) {
      const record = JSON.parse(await readFile(join(share, `${stem}.metadata.json`), 'utf8')) as { extra_metadata: Record<string, string> };
      expect(record.extra_metadata['lifeboat.copy_sha256']).toBe(sha);
    }
  }, 240_000);
});
