// Starts settings-writer-child.ts in a process of its own (see there for its modes) and resolves
// with its exit code.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './paths.js';

const CHILD = join(PROJECT_ROOT, 'test/helpers/settings-writer-child.ts');

export function runSettingsWriter(mode: 'counter' | 'rotate' | 'catalogue', path: string, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, path, String(count)], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}
