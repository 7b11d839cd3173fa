// Attacks on Lifeboat's state: what anything that can write Home Assistant's config folder could
// plant there (tokens, a restore journal), a data folder other users can read, and Home Assistant's
// own backups of the config folder carrying Lifeboat's keys.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { runCli, runCliOk } from '../../helpers/cli.js';
import { dataDir } from '../../helpers/data-dir.js';
import { makeInstallation } from '../../helpers/installation.js';
import { tmpDir } from '../../helpers/tmp.js';
import type { AttackRow } from '../attack-row.js';

const run = promisify(execFile);

async function freshInstallation(): Promise<{ dir: string; inst: string }> {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  return { dir, inst };
}

/** A tokens.json that accepts `token` as an admin token. */
function plantedTokens(token: string): string {
  const hash = createHash('sha256').update(token, 'utf8').digest('hex');
  return JSON.stringify({ version: 1, tokens: [{ id: 'planted', name: 'attacker', hash, created_at: '2026-01-01T00:00:00Z', scope: 'admin' }] });
}

async function tokenAccepted(inst: string, token: string): Promise<boolean> {
  const { openTokens } = await import('../../../src/core/tokens.js');
  return (await (await openTokens(inst)).verify(token)) !== null;
}

/** A journal in the data folder that would move `victim` into the installation if trusted. */
async function plantJournal(inst: string, journal: Record<string, unknown>): Promise<void> {
  await writeFile(join(dataDir(inst), 'restore-journal.json'), JSON.stringify({ version: 2, phase: 'swapping', root: inst, moveOut: [], moveIn: [], ...journal }), { mode: 0o600 });
}

async function refusedJournal(inst: string, outside: string, journal: Record<string, unknown>): Promise<void> {
  await runCliOk(['-c', inst, 'backup', 'list', '--json']);
  const before = await readdir(outside);
  await plantJournal(inst, journal);
  const r = await runCli(['-c', inst, 'backup', 'list', '--json']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/restore journal .* Lifeboat will not act on it/);
  expect(await readdir(outside)).toEqual(before);
  expect(existsSync(join(outside, 'victim'))).toBe(true);
}

export const rows: AttackRow[] = [
  {
    attack: 'a tokens.json planted in <installation>/.lifeboat after Lifeboat moved its data folder out',
    async prove() {
      const { inst } = await freshInstallation();
      await runCliOk(['-c', inst, 'token', 'create', 'owner']);
      await mkdir(join(inst, '.lifeboat'), { mode: 0o700 });
      await writeFile(join(inst, '.lifeboat', 'tokens.json'), plantedTokens('lbt_planted'), { mode: 0o600 });
      const r = await runCli(['-c', inst, 'token', 'list']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/old data folder is still inside the installation/);
      expect(r.stdout).not.toMatch(/attacker/);
      expect(await tokenAccepted(inst, 'lbt_planted')).toBe(false);
    },
  },
  {
    attack: "a .lifeboat of another user (or a symlink to one) planted in a fresh installation, waiting to be 'migrated'",
    async prove() {
      const { dir, inst } = await freshInstallation();
      const planted = join(dir, 'planted');
      await mkdir(planted, { mode: 0o700 });
      await writeFile(join(planted, 'tokens.json'), plantedTokens('lbt_planted'), { mode: 0o600 });
      // Another user's folder needs root to make; a symlink to a folder is refused the same way.
      const asRoot = process.getuid?.() === 0;
      if (asRoot) {
        await run('cp', ['-a', planted, join(inst, '.lifeboat')]);
        await chown(join(inst, '.lifeboat'), 54321, 54321);
      } else {
        await run('ln', ['-s', planted, join(inst, '.lifeboat')]);
      }
      const r = await runCli(['-c', inst, 'token', 'list']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/not a folder of the user Lifeboat runs as, so it is not trusted/);
      expect(await tokenAccepted(inst, 'lbt_planted')).toBe(false);
      expect(existsSync(join(dataDir(inst), 'tokens.json'))).toBe(false);
    },
  },
  {
    attack: 'a restore journal whose names climb out of the installation (../../victim)',
    async prove() {
      const { dir, inst } = await freshInstallation();
      await writeFile(join(dir, 'victim'), 'must stay');
      await mkdir(join(inst, '.lifeboat-restore-abc123'), { mode: 0o700 });
      await refusedJournal(inst, dir, { staging: '.lifeboat-restore-abc123', moveIn: ['../victim'], moveOut: ['../victim'] });
    },
  },
  {
    attack: 'a partial restore journal (version 3) whose nested paths climb out (sub/../../victim, a folder to make of ..)',
    async prove() {
      const { dir, inst } = await freshInstallation();
      await writeFile(join(dir, 'victim'), 'must stay');
      await mkdir(join(inst, '.lifeboat-restore-abc123', 'old', 'sub'), { recursive: true, mode: 0o700 });
      await refusedJournal(inst, dir, { version: 3, staging: '.lifeboat-restore-abc123', moveOut: ['sub/../../victim'], moveIn: [], madeDirs: [] });
      await rm(join(dataDir(inst), 'restore-journal.json'));
      await refusedJournal(inst, dir, { version: 3, staging: '.lifeboat-restore-abc123', moveOut: [], moveIn: ['a/victim'], madeDirs: ['a/..'] });
    },
  },
  {
    attack: 'a partial restore journal (version 3) naming an absolute path (/…/victim)',
    async prove() {
      const { dir, inst } = await freshInstallation();
      await writeFile(join(dir, 'victim'), 'must stay');
      await mkdir(join(inst, '.lifeboat-restore-abc123', 'new'), { recursive: true, mode: 0o700 });
      await refusedJournal(inst, dir, { version: 3, staging: '.lifeboat-restore-abc123', moveOut: [], moveIn: [join(dir, 'victim')], madeDirs: [] });
    },
  },
  {
    attack: 'a partial restore journal whose nested path leads through a folder of the installation that is a symlink to elsewhere',
    async prove() {
      const { dir, inst } = await freshInstallation();
      const outside = join(dir, 'outside');
      await mkdir(outside);
      await writeFile(join(outside, 'victim'), 'must stay');
      await run('ln', ['-s', outside, join(inst, 'www')]);
      await mkdir(join(inst, '.lifeboat-restore-abc123', 'new'), { recursive: true, mode: 0o700 });
      // Rolling back would move www/victim (that is, outside/victim) into the staging folder.
      await refusedJournal(inst, outside, { version: 3, staging: '.lifeboat-restore-abc123', moveOut: [], moveIn: ['www/victim'], madeDirs: [] });
      expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('must stay');
    },
  },
  {
    attack: 'a restore journal naming a foreign root (/etc-like folder elsewhere)',
    async prove() {
      const { dir, inst } = await freshInstallation();
      const foreign = join(dir, 'etc');
      await mkdir(join(foreign, '.lifeboat-restore-abc123', 'old'), { recursive: true });
      await writeFile(join(foreign, 'victim'), 'must stay');
      await refusedJournal(inst, foreign, { root: foreign, staging: '.lifeboat-restore-abc123', moveOut: ['victim'] });
    },
  },
  {
    attack: 'a restore journal whose staging folder is a symlink to somewhere else',
    async prove() {
      const { dir, inst } = await freshInstallation();
      const elsewhere = join(dir, 'elsewhere');
      await mkdir(join(elsewhere, 'new'), { recursive: true });
      await writeFile(join(elsewhere, 'new', 'victim'), 'must stay');
      await run('ln', ['-s', elsewhere, join(inst, '.lifeboat-restore-abc123')]);
      await refusedJournal(inst, join(elsewhere, 'new'), { staging: '.lifeboat-restore-abc123', moveIn: ['victim'] });
    },
  },
  {
    attack: 'a journal planted where older releases kept it (<installation>/.lifeboat-restore/journal.json)',
    async prove() {
      const { dir, inst } = await freshInstallation();
      await writeFile(join(dir, 'victim'), 'must stay');
      await mkdir(join(inst, '.lifeboat-restore', 'old'), { recursive: true });
      await writeFile(
        join(inst, '.lifeboat-restore', 'journal.json'),
        JSON.stringify({ version: 1, phase: 'swapping', root: dir, moveOut: [], moveIn: ['victim'] }),
      );
      await runCliOk(['-c', inst, 'backup', 'list', '--json']);
      expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('must stay');
      expect(await readdir(join(inst, '.lifeboat-restore', 'old'))).toEqual([]);
    },
  },
  {
    attack: 'a data folder that other users can read',
    async prove() {
      const { inst } = await freshInstallation();
      await runCliOk(['-c', inst, 'token', 'create', 'owner']);
      await chmod(dataDir(inst), 0o755);
      const r = await runCli(['-c', inst, 'backup', 'list']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`can be used by other users (mode 755)`);
      expect(r.stderr).toContain(`chmod 700 '${dataDir(inst)}'`);
    },
  },
  {
    attack: 'a secrets.json that other users can read',
    async prove() {
      const { inst } = await freshInstallation();
      await runCliOk(['-c', inst, 'key', 'rotate']);
      const secrets = join(dataDir(inst), 'secrets.json');
      await chmod(secrets, 0o644);
      const r = await runCli(['-c', inst, 'key', 'show']);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`chmod 600 '${secrets}'`);
    },
  },
  {
    attack: "reading Lifeboat's key from Home Assistant's own (unencrypted) backup of the config folder",
    async prove() {
      const { dir, inst } = await freshInstallation();
      await runCliOk(['-c', inst, 'key', 'rotate']);
      await runCliOk(['-c', inst, 'backup', 'create']);
      await runCliOk(['-c', inst, 'token', 'create', 'owner']);
      const key = (await runCliOk(['-c', inst, 'key', 'show'])).split('\n')[0] as string;
      // What Home Assistant's backup holds: the whole config folder, as a tar.
      const haBackup = join(dir, 'ha-backup.tar');
      await run('tar', ['-cf', haBackup, '-C', inst, '.']);
      const out = join(dir, 'extracted');
      await mkdir(out);
      await run('tar', ['-xf', haBackup, '-C', out]);
      const grep = await run('grep', ['-rlF', '-e', key, '-e', key.replace(/-/g, ''), out]).catch((e: { code: number; stdout: string }) => e);
      expect((grep as { code?: number }).code).toBe(1); // grep: nothing found
      expect(existsSync(join(out, '.lifeboat'))).toBe(false);
      await rm(out, { recursive: true });
    },
  },
];
