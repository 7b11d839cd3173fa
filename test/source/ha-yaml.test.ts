import { afterEach, describe, expect, it } from 'vitest';
import { HaYamlError, HaYamlReader, type HaYamlLimits } from '../../src/source/ha-yaml.js';
import { tmpDir } from '../helpers/tmp.js';
import { makeTree, type TreeSpec } from '../helpers/tree.js';

async function read(spec: TreeSpec, limits: Partial<HaYamlLimits> = {}): Promise<{ yaml: HaYamlReader; value: () => Promise<unknown> }> {
  const dir = await tmpDir('lifeboat-ha-yaml-');
  await makeTree(dir, spec);
  const yaml = new HaYamlReader(dir, limits);
  return {
    yaml,
    value: async () => {
      const top = await yaml.file('configuration.yaml');
      return top && yaml.resolveAll(top);
    },
  };
}

const map = (entries: Record<string, unknown>) => new Map(Object.entries(entries));

describe("Home Assistant's YAML tags", () => {
  it('!include_dir_named: a map from file name to content, each folder sorted, subfolders walked, hidden and secrets.yaml left out', async () => {
    const { value } = await read({
      'configuration.yaml': 'x: !include_dir_named d\n',
      'd/b.yaml': 'v: b\n',
      'd/a.yaml': 'v: a\n',
      'd/sub/c.yaml': 'v: c\n',
      'd/.hidden/h.yaml': 'v: h\n',
      'd/.h.yaml': 'v: h\n',
      'd/secrets.yaml': 'v: s\n',
      'd/notes.yml': 'v: n\n',
      'd/empty.yaml': '',
    });
    const x = ((await value()) as Map<string, unknown>).get('x') as Map<string, unknown>;
    expect([...x.keys()]).toEqual(['a', 'b', 'empty', 'c']);
    expect(x.get('a')).toEqual(map({ v: 'a' }));
    expect(x.get('empty')).toEqual(new Map());
  });

  it('!include_dir_merge_named merges maps (a later file wins a key), !include_dir_list lists, !include_dir_merge_list concatenates lists', async () => {
    const { value } = await read({
      'configuration.yaml': 'named: !include_dir_merge_named n\nlist: !include_dir_list l\nmerged: !include_dir_merge_list m\n',
      'n/1.yaml': 'k1: one\nk2: two\n',
      'n/2.yaml': 'k2: zwei\n',
      'n/3.yaml': '- not a map\n',
      'l/1.yaml': 'alias: first\n',
      'l/2.yaml': '- a list item\n',
      'm/1.yaml': '- 1\n- 2\n',
      'm/2.yaml': 'not: a list\n',
      'm/3.yaml': '- 3\n',
    });
    expect(await value()).toEqual(
      map({
        named: map({ k1: 'one', k2: 'zwei' }),
        list: [map({ alias: 'first' }), ['a list item']],
        merged: [1, 2, 3],
      }),
    );
  });

  it('!include is relative to the including file, and !secret looks in its folder first, then up to the installation', async () => {
    const { value } = await read({
      'configuration.yaml': 'a: !include sub/a.yaml\n',
      'sub/a.yaml': 'b: !include deeper/b.yaml\nnear: !secret near\n',
      'sub/deeper/b.yaml': 'far: !secret far\nnear: !secret near\n',
      'sub/secrets.yaml': 'near: from sub\n',
      'secrets.yaml': 'far: 42\nnear: from root\nlogger: debug\n',
    });
    expect(await value()).toEqual(map({ a: map({ b: map({ far: 42, near: 'from sub' }), near: 'from sub' }) }));
  });

  describe('!env_var', () => {
    afterEach(() => {
      delete process.env.LIFEBOAT_TEST_DB;
    });

    it('takes the variable, else the default', async () => {
      const { value } = await read({ 'configuration.yaml': 'a: !env_var LIFEBOAT_TEST_DB\nb: !env_var LIFEBOAT_TEST_UNSET fall back\n' });
      process.env.LIFEBOAT_TEST_DB = 'mysql://x@y/z';
      expect(await value()).toEqual(map({ a: 'mysql://x@y/z', b: 'fall back' }));
    });

    it('fails on a variable that is not defined and has no default', async () => {
      const { value } = await read({ 'configuration.yaml': 'a: !env_var LIFEBOAT_TEST_UNSET\n' });
      await expect(value()).rejects.toThrow(/environment variable LIFEBOAT_TEST_UNSET is not defined/);
    });
  });

  it('reads unknown tags as plain text', async () => {
    const { value } = await read({ 'configuration.yaml': 'a: !input motion\nb: !input\nc: !whatever { k: v }\n' });
    expect(await value()).toEqual(map({ a: 'motion', b: '', c: map({ k: 'v' }) }));
  });

  it('reads YAML 1.1 as Home Assistant does (on is true, y is text, merge keys)', async () => {
    const { value } = await read({ 'configuration.yaml': 'base: &b { x: 1 }\nderived:\n  <<: *b\n  y: on\n  n: OFF\n' });
    expect(await value()).toEqual(map({ base: map({ x: 1 }), derived: map({ x: 1, y: true, n: false }) }));
  });

  it('does not allow !secret in secrets.yaml', async () => {
    const { value } = await read({ 'configuration.yaml': 'a: !secret a\n', 'secrets.yaml': 'a: !secret b\nb: x\n' });
    await expect(value()).rejects.toThrow(/secrets\.yaml: !secret cannot be used in secrets\.yaml/);
  });

  it('stops an include loop at the depth limit', async () => {
    const { value } = await read({ 'configuration.yaml': 'a: !include loop.yaml\n', 'loop.yaml': 'again: !include loop.yaml\n' });
    await expect(value()).rejects.toThrow(/includes nested more than 16 deep/);
  });

  it('stops at the byte and file limits', async () => {
    const big = await read({ 'configuration.yaml': 'a: !include big.yaml\n', 'big.yaml': `x: "${'y'.repeat(2000)}"\n` }, { maxBytes: 1000 });
    await expect(big.value()).rejects.toThrow(/big\.yaml: more than 1000 bytes of YAML/);
    const many = await read({ 'configuration.yaml': 'a: !include_dir_list d\n', 'd/1.yaml': '1', 'd/2.yaml': '2', 'd/3.yaml': '3' }, { maxFiles: 3 });
    await expect(many.value()).rejects.toThrow(/more than 3 YAML files/);
  });

  it('refuses a folder include through a link to a folder outside the installation', async () => {
    const outside = await tmpDir('lifeboat-outside-');
    await makeTree(outside, { 'x.yaml': 'k: v\n' });
    const { value } = await read({ 'configuration.yaml': 'a: !include_dir_named d\n', d: { symlink: outside } });
    const err = await value().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HaYamlError);
    expect((err as HaYamlError).message).toMatch(/^d leads outside the installation folder/);
  });

  it('takes an absolute /config/ path of an include in the installation', async () => {
    const { value } = await read({ 'configuration.yaml': 'a: !include /config/sub/a.yaml\n', 'sub/a.yaml': 'k: v\n' });
    expect(await value()).toEqual(map({ a: map({ k: 'v' }) }));
  });

  it('names a missing include', async () => {
    const { value } = await read({ 'configuration.yaml': 'a: !include nope.yaml\n' });
    await expect(value()).rejects.toThrow('configuration.yaml: !include nope.yaml: no such file');
  });
});
