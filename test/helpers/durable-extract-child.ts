// Run under strace by test/archive/durable-extraction.system.test.ts: a durable extraction of a
// tree with a file larger than the stretch between early datasyncs, small files in nested folders,
// a hard link and a symbolic link into TARGET; once it has resolved, TARGET/../marker is renamed to
// TARGET/../marker.done, so that the log shows where the extraction ended.
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TarEntry } from '../../src/archive/inner-tar-reader.js';
import { extractEntries } from '../../src/archive/safe-extract.js';
import { fromBuffers } from '../../src/util/chunks.js';

const target = process.argv[2] as string;

function entry(path: string, type: TarEntry['type'], data: Buffer[] = [], linkname = ''): TarEntry {
  const size = data.reduce((n, b) => n + b.length, 0);
  return { path, type, rawType: type, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, size, mtimeNs: 1_700_000_000_000_000_000n, linkname, body: fromBuffers(...data) };
}

async function* entries(): AsyncGenerator<TarEntry> {
  yield entry('data/', 'directory');
  yield entry('data/.storage/', 'directory');
  yield entry('data/.storage/core.config', 'file', [Buffer.from('{"version": 1}\n')]);
  yield entry('data/configuration.yaml', 'file', [Buffer.from('homeassistant:\n  name: Home\n')]);
  yield entry('data/home-assistant_v2.db', 'file', Array.from({ length: 20 }, (_, i) => Buffer.alloc(1 << 20, i + 1)));
  yield entry('data/custom_components/demo/sensor.py', 'file', [Buffer.from('# a sensor\n')]);
  yield entry('data/custom_components/demo/sensor-link.py', 'link', [], 'data/custom_components/demo/sensor.py');
  yield entry('data/www/latest.jpg', 'symlink', [], 'snapshots/camera.jpg');
}

const marker = join(dirname(target), 'marker');
writeFileSync(marker, '');
await extractEntries(entries(), { target, stripPrefix: 'data', durable: true });
renameSync(marker, `${marker}.done`);
