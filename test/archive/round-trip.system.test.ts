// Pack → unpack round trips over generated trees, for no password, SecureTar v2 and v3; and the
// archives Lifeboat writes are read by Python's own tarfile (Home Assistant's reader) as they are.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BackupReader, withBackupReader } from '../../src/archive/backup-reader.js';
import { writeBackupFile } from '../../src/archive/backup-writer.js';
import { META } from '../helpers/meta.js';
import { unpackBackup } from '../../src/archive/unpack.js';
import { verifyBackup } from '../../src/archive/verify.js';
import { collect } from '../../src/util/chunks.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree, makeTree } from '../helpers/tree.js';
import { ExcludeRules } from '../../src/source/exclude-rules.js';
import { walkInstallation } from '../../src/source/tree-walk.js';
import { generatedTree, GENERATED_EXCLUDED, pack, variants } from '../helpers/generated-backup.js';

const MiB = 1 << 20;

describe('round trip', () => {
  it.each([null, 'hunter2'])('password %s: large files read in 1 MiB chunks come back whole', async (password) => {
    const dir = await tmpDir();
    const src = join(dir, 'src');
    await generatedTree(src);
    await makeTree(src, { 'big/a.bin': randomBytes(5 * MiB + 7), 'big/b.bin': randomBytes(3 * MiB), 'big/c.bin': Buffer.alloc(4 * MiB, 'c') });
    await writeBackupFile(join(dir, 'b.tar'), {
      entries: walkInstallation({ root: src, rules: ExcludeRules.forBackup({ includeDatabase: true }) }),
      meta: META,
      password,
    });
    await withBackupReader(join(dir, 'b.tar'), (reader) => unpackBackup(reader, join(dir, 'out'), password));
    expect(await describeTree(join(dir, 'out', 'homeassistant', 'data'))).toEqual(await describeTree(src, { ignore: GENERATED_EXCLUDED }));
  });


  it.each(variants)('%s: the extracted tree equals the source (content, modes, links, mtimes)', async (_label, password, version) => {
    const dir = await tmpDir();
    const src = join(dir, 'src');
    await generatedTree(src);
    const written = await pack(src, join(dir, 'b.tar'), password, version);
    expect(written.backup.backup_id).toBe('2618f96d');
    expect(written.backup.protected).toBe(password !== null);

    await withBackupReader(join(dir, 'b.tar'), async (reader) => {
      expect(reader.backup).toEqual(written.backup);
      await reader.validatePassword(password);
      const report = await verifyBackup(reader, password);
      expect(report.problems).toEqual([]);
      expect(report.members[0]?.digestMatches).toBe(true);
      await unpackBackup(reader, join(dir, 'out'), password);
    });
    const expected = await describeTree(src, {
      mtimes: true,
      ignore: GENERATED_EXCLUDED,
    });
    const got = await describeTree(join(dir, 'out', 'homeassistant', 'data'), { mtimes: true });
    expect(got).toEqual(expected);
    expect(got['custom_components/foo/__pycache__']?.type).toBe('dir');
  });

  it('writes the outer archive Home Assistant expects, readable by Python tarfile', async () => {
    const dir = await tmpDir();
    await generatedTree(join(dir, 'src'));
    const written = await pack(join(dir, 'src'), join(dir, 'b.tar'), 'pw', 3);
    const py = spawnSync('python3', [
      '-c',
      'import tarfile,sys,json; t=tarfile.open(sys.argv[1]); print(json.dumps([[m.name,m.size,m.pax_headers.get("mtime") is not None] for m in t.getmembers()]))',
      join(dir, 'b.tar'),
    ]);
    expect(py.status, py.stderr.toString()).toBe(0);
    const members = JSON.parse(py.stdout.toString()) as [string, number, boolean][];
    expect(members.map((m) => m[0])).toEqual(['./backup.json', 'homeassistant.tar.gz']);
    expect(members[1]?.[2]).toBe(true); // fractional mtime in a PAX header, as Core writes it
    expect(written.size % 10240).toBe(0);
  });

  it.each(variants)("%s: the inner plaintext is ONE gzip member that Python's streaming tar reader (r|gz) reads whole", async (_l, password, version) => {
    const dir = await tmpDir();
    await generatedTree(join(dir, 'src'));
    await pack(join(dir, 'src'), join(dir, 'b.tar'), password, version);
    const reader = await BackupReader.open(join(dir, 'b.tar'));
    try {
      const inner = reader.homeAssistantArchive()!;
      const plain = await collect(await reader.plaintext(inner, password));
      let ours = 0;
      for await (const e of await reader.entries(inner, password)) {
        ours++;
        for await (const _ of e.body);
      }
      const py = spawnSync(
        'python3',
        ['-c', 'import tarfile,sys; t=tarfile.open(fileobj=sys.stdin.buffer, mode="r|gz"); n=0\nfor m in t:\n  n+=1\n  f=t.extractfile(m) if m.isfile() else None\n  f and f.read()\nprint(n)'],
        { input: plain },
      );
      expect(py.status, py.stderr.toString()).toBe(0);
      expect(Number(py.stdout.toString().trim())).toBe(ours);
    } finally {
      await reader.close();
    }
  });

  it('leaves a failed write without a partial file', async () => {
    const dir = await tmpDir();
    async function* failing() {
      yield { path: 'data', type: 'directory' as const, mode: 0o755, mtimeNs: 0n };
      throw new Error('disk went away');
    }
    await expect(
      writeBackupFile(join(dir, 'b.tar'), { entries: failing(), meta: META, password: 'pw' }),
    ).rejects.toThrow('disk went away');
    expect(await describeTree(dir)).toEqual({});
  });
});
