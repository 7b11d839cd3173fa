// A command that tries the broker once (mqtt configure, mqtt status) must end as soon as it has its
// answer: a refused first connection may not leave the client's connect timer behind.

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { freePort } from '../servers/net-helpers.js';

/** Runs connectOnce in a process of its own with a connect timeout far beyond the test's. */
function tryOnce(url: string): Promise<{ code: number | null; stdout: string }> {
  const module = join(PROJECT_ROOT, 'src/integrations/mqtt-connection.ts');
  const script = `
    import { clientOptions, connectOnce } from ${JSON.stringify(module)};
    const settings = { tls: { ca_file: null, cert_file: null, key_file: null, insecure: false }, username: null };
    const options = await clientOptions(settings, null, { clientId: 'probe', connectTimeoutMs: 3_600_000 });
    await connectOnce(${JSON.stringify(url)}, options).then(() => console.log('connected'), (err) => console.log(err.message));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    onTestFinished(() => void child.kill('SIGKILL'));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout }));
  });
}

describe('a first connection to the MQTT broker', () => {
  it('that is refused ends the process by itself, with the reason', async () => {
    const port = await freePort();
    const result = await tryOnce(`mqtt://127.0.0.1:${port}`);
    expect(result.stdout).toMatch(/Cannot connect to the MQTT broker mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
    expect(result.code).toBe(0);
  }, 30_000);
});
