// The Supervisor's API as Lifeboat calls it, against the fake Supervisor: answers unwrapped from
// the `{"result": "ok", "data": …}` envelope with the add-on's token sent as a bearer token, a
// refusal reported with the Supervisor's own message, the restore's Home Assistant control made of
// `/core/stop` and `/core/start`, and the backup list reloaded once more for changes that came
// while a reload ran, never failing the change that caused it.

import { afterEach, describe, expect, it } from 'vitest';
import { brokerOf } from '../../src/cli/app-mode.js';
import { supervisorBackupListSync } from '../../src/integrations/supervisor-backup-list.js';
import { SupervisorClient, SupervisorError } from '../../src/integrations/supervisor-client.js';
import { supervisorControl } from '../../src/integrations/supervisor-control.js';
import { HaControlError } from '../../src/manager/ha-control.js';
import type { Logger } from '../../src/util/logger.js';
import { eventually } from '../helpers/eventually.js';
import { startFakeSupervisor, type FakeSupervisor } from '../servers/fake-supervisor.js';

let fake: FakeSupervisor | null = null;
afterEach(async () => {
  await fake?.stop();
  fake = null;
});

function recordingLog(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => undefined, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) };
}

describe('the Supervisor client', () => {
  it('reads the answers out of the envelope, with the add-on token as a bearer token', async () => {
    fake = await startFakeSupervisor({ coreVersion: '2026.8.0', slug: 'a0d7b954_lifeboat', mqtt: { host: 'core-mosquitto', port: 1883, username: 'addons', password: 'secret' } });
    const client = new SupervisorClient({ url: fake.url, token: fake.token });
    expect((await client.coreInfo()).version).toBe('2026.8.0');
    expect((await client.selfInfo()).slug).toBe('a0d7b954_lifeboat');
    const service = await client.mqttService();
    expect(brokerOf(service)).toEqual({ url: 'mqtt://core-mosquitto:1883', username: 'addons', password: 'secret' });
    await client.reloadBackups();
    expect(fake.calls.every((c) => c.authorized)).toBe(true);
    expect(fake.log()).toEqual(['GET /core/info', 'GET /addons/self/info', 'GET /services/mqtt', 'POST /backups/reload']);
  });

  it("reports a refusal with the Supervisor's message and status", async () => {
    fake = await startFakeSupervisor({ mqtt: null });
    const client = new SupervisorClient({ url: fake.url, token: fake.token });
    const notEnabled = await client.mqttService().catch((e: unknown) => e);
    expect(notEnabled).toBeInstanceOf(SupervisorError);
    expect((notEnabled as SupervisorError).message).toContain('Service not enabled');
    const wrongToken = await new SupervisorClient({ url: fake.url, token: 'not-the-token' }).coreInfo().catch((e: unknown) => e);
    expect((wrongToken as SupervisorError).status).toBe(403);
    expect((wrongToken as SupervisorError).message).toMatch(/hassio_role/);
    const unreachable = await new SupervisorClient({ url: 'http://127.0.0.1:9', token: 'x', timeoutMs: 2000 }).coreInfo().catch((e: unknown) => e);
    expect((unreachable as SupervisorError).status).toBe(0);
  });
});

describe("the Supervisor's Home Assistant control", () => {
  it('checks the Supervisor answers, then stops and starts Home Assistant Core', async () => {
    fake = await startFakeSupervisor();
    const control = supervisorControl(new SupervisorClient({ url: fake.url, token: fake.token }));
    await control.check();
    expect(await control.stop()).toBe(true);
    expect(fake.coreRunning).toBe(false);
    await control.start();
    expect(fake.coreRunning).toBe(true);
    expect(fake.log()).toEqual(['GET /core/info', 'POST /core/stop', 'POST /core/start']);
  });

  it('fails with a code that says which step did, when the Supervisor refuses', async () => {
    fake = await startFakeSupervisor();
    const control = supervisorControl(new SupervisorClient({ url: fake.url, token: 'wrong' }));
    for (const [step, code] of [
      [() => control.check(), 'home_assistant_unavailable'],
      [() => control.stop(), 'stop_failed'],
      [() => control.start(), 'start_failed'],
    ] as const) {
      const err = await step().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HaControlError);
      expect((err as HaControlError).code).toBe(code);
    }
  });
});

describe("keeping the Supervisor's backup list in step", () => {
  it('reloads once more for changes that came during a reload, not once per change', async () => {
    let release: () => void = () => undefined;
    let first = true;
    fake = await startFakeSupervisor({
      onCall: (call) => {
        if (call.path !== '/backups/reload' || !first) return;
        first = false;
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const sync = supervisorBackupListSync(new SupervisorClient({ url: fake.url, token: fake.token }), recordingLog());
    sync.changed();
    await eventually(() => (fake?.calls.length ?? 0) > 0, 'the first reload reached the Supervisor');
    for (let i = 0; i < 5; i++) sync.changed();
    release();
    await sync.settled();
    expect(fake.log()).toEqual(['POST /backups/reload', 'POST /backups/reload']);
  });

  it('logs a reload the Supervisor refuses and carries on', async () => {
    fake = await startFakeSupervisor();
    const log = recordingLog();
    const sync = supervisorBackupListSync(new SupervisorClient({ url: fake.url, token: 'wrong' }), log);
    sync.changed();
    await sync.settled();
    expect(log.warnings).toEqual([expect.stringMatching(/reload its backup list/)]);
  });
});
