// Comparing two trees of files: what counts as a change (type, permission bits, a link's target,
// size, content) and what does not (times, a link's own mode; a database's mode).
import { describe, expect, it } from 'vitest';
import { compareFacts, diffTrees, type FileFacts } from '../../src/core/tree-diff.js';

const file = (sha256: string, size = 10, mode = 0o644): FileFacts => ({ type: 'file', mode, size, sha256 });
const dir = (mode = 0o755): FileFacts => ({ type: 'directory', mode, size: 0 });
const link = (linkname: string, mode = 0o777): FileFacts => ({ type: 'symlink', mode, size: 0, linkname });

describe('comparing two versions of a path', () => {
  it.each<[string, FileFacts, FileFacts, string[]]>([
    ['the same file', file('a'), file('a'), []],
    ['new content of the same size', file('a'), file('b'), ['content']],
    ['content that grew', file('a', 10), file('b', 12), ['content', 'size']],
    ['permission bits', file('a', 10, 0o644), file('a', 10, 0o600), ['mode']],
    ['content and permission bits', file('a', 10, 0o644), file('b', 10, 0o755), ['content', 'mode']],
    ['a folder with other permission bits', dir(0o755), dir(0o700), ['mode']],
    ['a link with a new target', link('a'), link('b'), ['target']],
    ["a link's own mode", link('a', 0o777), link('a', 0o755), []],
    ['a file that became a folder', file('a'), dir(), ['type']],
    ['a file that became a link', file('a'), link('a'), ['type']],
  ])('%s', (_label, a, b, what) => {
    expect(compareFacts(a, b)).toEqual(what);
  });

  it('compares a database by size and digest only', () => {
    expect(compareFacts(file('a', 10, 0o644), file('a', 10, 0o600), true)).toEqual([]);
    expect(compareFacts(file('a', 10, 0o644), file('b', 20, 0o600), true)).toEqual(['content', 'size']);
  });
});

describe('comparing two trees', () => {
  it('lists added, removed and changed paths, each sorted, and nothing that did not change', () => {
    const a = new Map<string, FileFacts>([
      ['www', dir()],
      ['www/old.png', file('o')],
      ['configuration.yaml', file('c1')],
      ['links/here', link('../configuration.yaml')],
      ['secrets.yaml', file('s', 10, 0o644)],
    ]);
    const b = new Map<string, FileFacts>([
      ['secrets.yaml', file('s', 10, 0o600)],
      ['links/here', link('../automations.yaml')],
      ['configuration.yaml', file('c2', 11)],
      ['www', dir()],
      ['www/new.png', file('n')],
      ['automations.yaml', file('x')],
    ]);
    expect(diffTrees(a, b)).toEqual({
      added: ['automations.yaml', 'www/new.png'],
      removed: ['www/old.png'],
      changed: [
        { path: 'configuration.yaml', what: ['content', 'size'] },
        { path: 'links/here', what: ['target'] },
        { path: 'secrets.yaml', what: ['mode'] },
      ],
    });
  });

  it('asks which paths are databases', () => {
    const a = new Map([['home-assistant_v2.db', file('d', 10, 0o644)]]);
    const b = new Map([['home-assistant_v2.db', file('d', 10, 0o600)]]);
    expect(diffTrees(a, b, { digestOnly: (p) => p === 'home-assistant_v2.db' }).changed).toEqual([]);
    expect(diffTrees(a, b).changed).toEqual([{ path: 'home-assistant_v2.db', what: ['mode'] }]);
  });
});
