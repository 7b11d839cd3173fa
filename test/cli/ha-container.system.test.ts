// `lifeboat restore --ha-container`: Home Assistant's Docker container is stopped just before the
// swap and started again after, through the Docker Engine API on a unix socket — here a fake engine
// that records each call and what the installation held at that moment. And the refusals: an
// unknown container or a missing socket stop the restore before anything is touched. `serve`
// with LIFEBOAT_HA_CONTAINER (as in the container image) does the same for Home Assistant's
// `backup/restore`.

import { readdir, readFile, writeFile } from 'node:fs/promises';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/eventually.js';
import { FakeDockerEngine } from '../helpers/fake-docker-engine.js';
import { HaWsClient } from '../helpers/ha-ws-client.js';
import { createToken, startServerProcess } from '../helpers/lifeboat-server.js';
import { makeInstallation, NOT_COMPARED } from '../helpers/installation.js';
import { tmpDir } from '../helpers/tmp.js';
import { describeTree } from '../helpers/tree.js';

const ORIGINAL = 'homeassistant:\n  name: Home\n';
const EDITED = 'edited after the backup\n';

const engines: FakeDockerEngine<unknown>[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((e) => e.close()));
});

/** An installation with one backup, its configuration.yaml edited since. */
async function installationWithBackup(): Promise<{ dir: string; inst: string; backupId: string }> {
  const dir = await tmpDir();
  const inst = join(dir, 'config');
  await makeInstallation(inst);
  const created = await runCli(['-c', inst, 'backup', 'create', '--json']);
  expect(created.code, created.stderr).toBe(0);
  await writeFile(join(inst, 'configuration.yaml'), EDITED);
  return { dir, inst, backupId: (JSON.parse(created.stdout) as { backup_id: string }).backup_id };
}

async function engine<T>(dir: string, containers: Record<string, { running: boolean }>, observe?: (method: string, path: string) => T): Promise<FakeDockerEngine<T>> {
  const e = await FakeDockerEngine.start(join(dir, 'docker.sock'), containers, observe);
  engines.push(e as FakeDockerEngine<unknown>);
  return e;
}

/** The installation as compared before and after a refused restore (Lifeboat's own folders aside). */
function snapshot(inst: string) {
  return describeTree(inst, { mtimes: true, ignore: NOT_COMPARED });
}

describe('restore --ha-container', () => {
  it('stops the container just before the swap and starts it after, with the restored files in place', async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    const docker = await engine(dir, { homeassistant: { running: true } }, () => readFileSync(join(inst, 'configuration.yaml'), 'utf8'));
    const r = await runCli(['-c', inst, '-v', 'restore', backupId, '--yes', '--ha-container', 'homeassistant', '--docker-socket', docker.socketPath]);
    expect(r.code, r.stderr).toBe(0);

    expect(docker.log()).toEqual(['GET /version', 'GET /containers/homeassistant/json', 'POST /containers/homeassistant/stop', 'POST /containers/homeassistant/start']);
    const [, inspect, stop, start] = docker.calls;
    // Checked before anything was done; stopped while the old files were still in place; started on the restored ones.
    expect(inspect?.seen).toBe(EDITED);
    expect(stop?.seen).toBe(EDITED);
    expect(stop?.query).toEqual({ t: '120' });
    expect(start?.seen).toBe(ORIGINAL);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(ORIGINAL);
    expect(docker.isRunning('homeassistant')).toBe(true);
    // Each step is logged.
    expect(r.stderr).toMatch(/Found Home Assistant's container homeassistant/);
    expect(r.stderr).toMatch(/Stopping Home Assistant \(the container homeassistant\)[\s\S]*Home Assistant stopped[\s\S]*Starting Home Assistant[\s\S]*Home Assistant started/);
  });

  it('takes the container from LIFEBOAT_HA_CONTAINER and leaves a container that was not running stopped', async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    const docker = await engine(dir, { homeassistant: { running: false } });
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes'], { env: { LIFEBOAT_HA_CONTAINER: 'homeassistant', LIFEBOAT_DOCKER_SOCKET: docker.socketPath } });
    expect(r.code, r.stderr).toBe(0);
    expect(docker.log()).toEqual(['GET /version', 'GET /containers/homeassistant/json', 'POST /containers/homeassistant/stop']);
    expect(docker.calls[2]?.status).toBe(304);
    expect(docker.isRunning('homeassistant')).toBe(false);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(ORIGINAL);
  });

  it('refuses before touching anything when Docker knows no such container', async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    const docker = await engine(dir, { homeassistant: { running: true } });
    const before = await snapshot(inst);
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--ha-container', 'home-assistant', '--docker-socket', docker.socketPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Cannot reach Home Assistant's container home-assistant: Docker knows no container named home-assistant .*\[home_assistant_container_unavailable\]/);
    expect(docker.log()).toEqual(['GET /version', 'GET /containers/home-assistant/json']);
    expect(docker.calls[1]?.status).toBe(404);
    expect(await snapshot(inst)).toEqual(before);
    expect((await readdir(inst)).filter((n) => n.startsWith('.lifeboat-restore-'))).toEqual([]);
  });

  it('refuses before touching anything when the Docker socket is missing', async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    const before = await snapshot(inst);
    const socket = join(dir, 'no-docker.sock');
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--ha-container', 'homeassistant', '--docker-socket', socket]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot reach Home Assistant's container homeassistant: there is no Docker socket at ${socket}; mount the host's socket`);
    expect(await snapshot(inst)).toEqual(before);
  });

  it('starts the container again when the swap fails, once the installation is rolled back', async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    // While Home Assistant stops, an entry of the staged tree disappears: the swap fails half-way, after moving the old entries out.
    const docker = await engine(dir, { homeassistant: { running: true } }, (method, path) => {
      if (method === 'POST' && path.endsWith('/stop')) {
        const staging = readdirSync(inst).find((n) => n.startsWith('.lifeboat-restore-')) as string;
        rmSync(join(inst, staging, 'new', 'configuration.yaml'));
      }
      return readFileSync(join(inst, 'configuration.yaml'), 'utf8');
    });
    const before = await describeTree(inst, { mtimes: true, ignore: NOT_COMPARED });
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--ha-container', 'homeassistant', '--docker-socket', docker.socketPath]);
    expect(r.code).toBe(1);
    expect(docker.log()).toEqual(['GET /version', 'GET /containers/homeassistant/json', 'POST /containers/homeassistant/stop', 'POST /containers/homeassistant/start']);
    // Started on the rolled-back installation, which is as it was.
    expect(docker.calls[3]?.seen).toBe(EDITED);
    expect(docker.isRunning('homeassistant')).toBe(true);
    expect(await describeTree(inst, { mtimes: true, ignore: NOT_COMPARED })).toEqual(before);
  });

  it('starts the container again when stopping it fails, and leaves the installation as it was', async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    const docker = await engine(dir, { homeassistant: { running: true } });
    docker.failNextStop = { status: 500, message: 'cannot stop container: permission denied' };
    const before = await snapshot(inst);
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--ha-container', 'homeassistant', '--docker-socket', docker.socketPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Could not stop the container homeassistant: Docker answered 500: cannot stop container: permission denied \[home_assistant_stop_failed\]/);
    expect(docker.log()).toEqual(['GET /version', 'GET /containers/homeassistant/json', 'POST /containers/homeassistant/stop', 'POST /containers/homeassistant/start']);
    expect(await snapshot(inst)).toEqual(before);
  });

  it('refuses a container named on the command line together with stop or start commands', async () => {
    const { inst, backupId } = await installationWithBackup();
    const r = await runCli(['-c', inst, 'restore', backupId, '--yes', '--ha-container', 'homeassistant', '--stop-command', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Use --ha-container or --stop-command\/--start-command, not both/);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(EDITED);
  });
});

describe('serve with LIFEBOAT_HA_CONTAINER', () => {
  it("stops and starts the container around a restore asked for through Home Assistant's backup/restore", async () => {
    const { dir, inst, backupId } = await installationWithBackup();
    const docker = await engine(dir, { homeassistant: { running: true } }, () => readFileSync(join(inst, 'configuration.yaml'), 'utf8'));
    const token = await createToken(inst, 'admin');
    const server = await startServerProcess({ installation: inst, env: { LIFEBOAT_HA_CONTAINER: 'homeassistant', LIFEBOAT_DOCKER_SOCKET: docker.socketPath } });
    const ws = await HaWsClient.connect(server.wsUrl, token);
    try {
      await ws.call('backup/restore', { backup_id: backupId, agent_id: 'backup.local' });
      await eventually(() => docker.calls.length === 4, 'the container started again');
    } finally {
      ws.close();
    }
    expect(docker.log()).toEqual(['GET /version', 'GET /containers/homeassistant/json', 'POST /containers/homeassistant/stop', 'POST /containers/homeassistant/start']);
    expect(docker.calls.map((c) => c.seen)).toEqual([EDITED, EDITED, EDITED, ORIGINAL]);
    expect(await readFile(join(inst, 'configuration.yaml'), 'utf8')).toBe(ORIGINAL);
  });
});
