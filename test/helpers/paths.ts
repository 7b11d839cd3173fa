// Where tests find the shared Home Assistant backup fixtures and the project itself.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function findFixtures(): string {
  const candidates = [
    process.env.LIFEBOAT_FIXTURES,
    resolve(PROJECT_ROOT, '..', 'shared', 'fixtures', 'ha-backups'),
    '/work/shared/fixtures/ha-backups',
  ].filter((c): c is string => !!c);
  const found = candidates.find((c) => existsSync(join(c, 'README.md')));
  if (!found) throw new Error(`Home Assistant backup fixtures not found (looked in ${candidates.join(', ')}); set LIFEBOAT_FIXTURES`);
  return found;
}

export const FIXTURES = findFixtures();
export const fixture = (rel: string) => join(FIXTURES, rel);
