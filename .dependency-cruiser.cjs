// The rooms of src/ and who may import whom (see the README's architecture notes): no import
// circles between files, and no room imports one that imports it back. `npm run check:deps`
// checks it.

/** Rooms and the rooms each may import besides itself; util/ and version.ts are open to all. */
const ROOMS = {
  archive: [],
  policy: [],
  source: ['archive'],
  agents: ['archive'],
  settings: ['policy', 'agents'],
  manager: ['archive', 'source', 'agents', 'settings', 'policy'],
  entities: ['manager'],
  core: ['archive', 'source', 'agents', 'settings', 'policy', 'manager', 'entities'],
  // Front ends: the core, its types and events. The command line composes `serve` from the other
  // front ends; its emergency `archive` commands work on files alone (see below).
  server: ['core'],
  integrations: ['core'],
  cli: ['core', 'server', 'integrations'],
};

const room = (name) => `^src/${name}/`;
const neutral = '^src/(util/|version\\.ts$)';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'Files must not import each other in a circle.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...Object.entries(ROOMS).map(([name, allowed]) => ({
      name: `room-${name}`,
      comment: `${name}/ may import only ${[name, ...allowed, 'util'].join(', ')} (and version.ts).`,
      severity: 'error',
      from: {
        path: room(name),
        // The emergency archive commands work on backup files alone.
        ...(name === 'cli' ? { pathNot: '^src/cli/archive-commands\\.ts$' } : {}),
      },
      to: {
        path: '^src/',
        pathNot: [room(name), ...allowed.map(room), neutral],
      },
    })),
    {
      name: 'archive-commands',
      comment: 'The emergency archive commands use the archive format and the tree walk, nothing of the application.',
      severity: 'error',
      from: { path: '^src/cli/archive-commands\\.ts$' },
      to: { path: '^src/', pathNot: ['^src/cli/', room('archive'), room('source'), neutral] },
    },
    {
      name: 'util-is-neutral',
      comment: 'util/ holds low-level helpers that import nothing of the rooms.',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: [neutral] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
