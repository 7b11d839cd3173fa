// A command is done only when what it changed is on disk: the program's main() returns after the
// core it opened has saved its entity states, not while the last save is still under way.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/program.js';
import { ENTITY } from '../../src/entities/entity-definitions.js';
import { makeInstallation } from '../helpers/installation.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeboat-command-close-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('returns from a backup with the entity states saved as they ended (the manager idle again)', async () => {
  const inst = join(dir, 'config');
  const data = join(dir, 'data');
  await makeInstallation(inst);
  const printed = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  let code: number;
  try {
    code = await main(['node', 'lifeboat', '-c', inst, '-d', data, 'backup', 'create', '--json']);
  } finally {
    printed.mockRestore();
  }
  expect(code).toBe(0);
  const saved = JSON.parse(readFileSync(join(data, 'entities.json'), 'utf8')) as { states: { entity_id: string; state: string }[] };
  expect(saved.states.find((s) => s.entity_id === ENTITY.managerState)?.state).toBe('idle');
});
