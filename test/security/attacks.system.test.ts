// The security table: every attack Lifeboat must refuse, one row each, grouped by where it lands.
// Rows live in rows/<area>.ts; this file runs them all (vite's import.meta.glob finds them).

/// <reference types="vite/client" />

import { describe, it } from 'vitest';
import type { AttackRow } from './attack-row.js';

const areas = import.meta.glob<{ rows: AttackRow[] }>('./rows/*.ts', { eager: true });

for (const [file, mod] of Object.entries(areas).sort(([a], [b]) => a.localeCompare(b))) {
  describe(file.replace(/^\.\/rows\/|\.ts$/g, ''), () => {
    for (const row of mod.rows) it(`refuses: ${row.attack}`, () => row.prove());
  });
}
