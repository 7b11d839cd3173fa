// Runs a user's stop/start command around a restore (e.g. `docker stop homeassistant`) through
// the shell, with a time limit; a non-zero exit is an error that names the command's output.

import { spawn } from 'node:child_process';
import { HaControlError } from './ha-control.js';

export function runHook(command: string, which: 'stop' | 'start', timeoutMs = 5 * 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-2000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new HaControlError(`The ${which} command could not be run: ${err.message}`, `${which}_command_failed`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const last = output.trim().split('\n').pop() ?? '';
        reject(
          new HaControlError(
            `The ${which} command failed (${signal ? `killed by ${signal}` : `exit code ${code}`})${last ? `: ${last}` : ''}`,
            `${which}_command_failed`,
          ),
        );
      }
    });
  });
}
