// Unified diffs of one file: text line by line, binary files (a NUL byte early on, or not UTF-8)
// and files beyond the bound said to differ, a missing side compared with nothing.
import { describe, expect, it } from 'vitest';
import { isBinary, makePatch, MAX_PATCH_BYTES, patchText } from '../../src/core/text-patch.js';

const labels = { a: 'backup 1a2b3c4d', b: 'live installation' };

describe('telling binary files from text', () => {
  it.each<[string, Buffer, boolean]>([
    ['YAML', Buffer.from('homeassistant:\n  name: Home\n'), false],
    ['UTF-8 text with accents', Buffer.from('name: Küche ünï 名前\n'), false],
    ['an empty file', Buffer.alloc(0), false],
    ['a NUL byte in the first 8 KiB', Buffer.concat([Buffer.from('abc'), Buffer.from([0]), Buffer.from('def')]), true],
    ['invalid UTF-8', Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x0a]), true],
    ['a PNG header', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), true],
  ])('%s', (_label, bytes, binary) => {
    expect(isBinary(bytes)).toBe(binary);
  });
});

describe('a patch of one file', () => {
  it('shows the changed line with its context, named by the two sides', async () => {
    const p = await makePatch('configuration.yaml', Buffer.from('homeassistant:\n  name: Home\n  unit_system: metric\n'), Buffer.from('homeassistant:\n  name: Away\n  unit_system: metric\n'), labels);
    expect(p.kind).toBe('text');
    expect(patchText(p)).toBe(
      [
        '--- a/configuration.yaml\tbackup 1a2b3c4d',
        '+++ b/configuration.yaml\tlive installation',
        '@@ -1,3 +1,3 @@',
        ' homeassistant:',
        '-  name: Home',
        '+  name: Away',
        '   unit_system: metric',
        '',
      ].join('\n'),
    );
  });

  it('compares a file on one side only with nothing, and equal texts give an empty patch', async () => {
    const added = await makePatch('new.yaml', null, Buffer.from('a: 1\n'), labels);
    expect(patchText(added)).toContain('--- /dev/null');
    expect(patchText(added)).toContain('+a: 1');
    expect(await makePatch('same.yaml', Buffer.from('x\n'), Buffer.from('x\n'), labels)).toEqual({ path: 'same.yaml', kind: 'text', patch: '' });
  });

  it('says binary files differ, and does not diff files beyond the bound', async () => {
    const bin = await makePatch('www/logo.png', Buffer.from([1, 0, 2]), Buffer.from([1, 0, 3]), labels);
    expect(patchText(bin)).toBe('Binary files a/www/logo.png and b/www/logo.png differ\n');
    expect(await makePatch('home-assistant_v2.db', 'binary', null, labels)).toEqual({ path: 'home-assistant_v2.db', kind: 'binary' });
    expect(await makePatch('big.log', 'too-large', Buffer.from('x'), labels)).toEqual({ path: 'big.log', kind: 'too-large', limit: MAX_PATCH_BYTES });
  });
});
