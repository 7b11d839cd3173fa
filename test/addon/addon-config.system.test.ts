// The app's files (addon/) agree with Lifeboat and with the Supervisor's rules: its hassio_role is
// the least role of the Supervisor's permission table that allows every call Lifeboat's Supervisor
// client makes; its options, their schema and translations match the options Lifeboat reads; the
// ingress port is the one run.sh serves on; the folders are mapped in the current list form; and
// the local app folder that scripts/addon-local.sh makes holds everything its Dockerfile copies.
// YAML is read with Debian's python3-yaml.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { AppOptionsSchema } from '../../src/cli/app-mode.js';
import { SupervisorClient } from '../../src/integrations/supervisor-client.js';
import { PROJECT_ROOT } from '../helpers/paths.js';
import { tmpDir } from '../helpers/tmp.js';
import { startFakeSupervisor } from '../servers/fake-supervisor.js';

const run = promisify(execFile);
const ADDON = join(PROJECT_ROOT, 'addon');

async function readYaml<T>(path: string): Promise<T> {
  const { stdout } = await run('/usr/bin/python3', ['-c', 'import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', path]);
  return JSON.parse(stdout) as T;
}

interface AddonConfig {
  version: string;
  slug: string;
  init: boolean;
  ingress: boolean;
  ingress_port: number;
  ingress_stream: boolean;
  hassio_api: boolean;
  hassio_role: string;
  homeassistant_api?: boolean;
  services: string[];
  map: { type: string; read_only: boolean; path?: string }[];
  options: Record<string, unknown>;
  schema: Record<string, string>;
}

/**
 * The Supervisor's permission table for an app's token (home-assistant/supervisor,
 * supervisor/api/middleware/security.py, _V1_PATTERNS): paths any app may call, and the paths
 * each hassio_role allows.
 */
const SLUG = '[-_.A-Za-z0-9]+';
const API_BYPASS = /^(?:|\/addons\/self\/(?!security|update)[^/]+|\/addons\/self\/options\/config|\/info|\/services.*|\/discovery.*|\/auth)$/;
const ROLES: [string, RegExp][] = [
  ['default', /^(?:|\/.+\/info)$/],
  ['homeassistant', /^(?:|\/.+\/info|\/core\/.+|\/homeassistant\/.+)$/],
  ['backup', /^(?:|\/.+\/info|\/backups.*)$/],
  [
    'manager',
    new RegExp(
      `^(?:|/.+/info|/addons(?:/${SLUG}/(?!security).+|/reload)?|/audio/.+|/auth/cache|/available_updates|/backups.*|/cli/.+|/core/.+|/dns/.+|/docker/.+|/jobs/.+|/hardware/.+|/homeassistant/.+|/host/.+|/mounts.*|/multicast/.+|/network/.+|/observer/.+|/os/(?!datadisk/wipe).+|/refresh_updates|/resolution/.+|/security/.+|/snapshots.*|/store.*|/supervisor/.+)$`,
    ),
  ],
  ['admin', /.*/],
];

/** Every path Lifeboat's Supervisor client calls: each of its methods, called once against the fake Supervisor. */
async function pathsLifeboatCalls(): Promise<string[]> {
  const fake = await startFakeSupervisor({ mqtt: { host: '127.0.0.1', port: 1883, username: 'u', password: 'p' } });
  try {
    const client = new SupervisorClient({ url: fake.url, token: fake.token });
    const proto = SupervisorClient.prototype as unknown as Record<string, unknown>;
    const methods = Object.getOwnPropertyNames(proto).filter((name) => name !== 'constructor' && name !== 'call' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function');
    expect(methods.length).toBeGreaterThan(4);
    for (const name of methods) await (client as unknown as Record<string, () => Promise<unknown>>)[name]!();
    return [...new Set(fake.calls.map((c) => c.path))];
  } finally {
    await fake.stop();
  }
}

describe("the app's files", () => {
  it("ask for the least hassio_role that allows every call of Lifeboat's Supervisor client", async () => {
    const config = await readYaml<AddonConfig>(join(ADDON, 'config.yaml'));
    const paths = await pathsLifeboatCalls();
    const needing = paths.filter((p) => !API_BYPASS.test(p));
    const sufficient = ROLES.filter(([, allowed]) => needing.every((p) => allowed.test(p))).map(([role]) => role);
    expect(config.hassio_api).toBe(true);
    expect(config.hassio_role).toBe(sufficient[0]);
    expect(config.homeassistant_api ?? false).toBe(false);
    // The MQTT service answers only apps that declared it.
    expect(paths).toContain('/services/mqtt');
    expect(config.services).toContain('mqtt:want');
  });

  it("offer exactly the options Lifeboat reads, with its defaults, schema types and translations", async () => {
    const config = await readYaml<AddonConfig>(join(ADDON, 'config.yaml'));
    const translations = await readYaml<{ configuration: Record<string, { name: string; description: string }> }>(join(ADDON, 'translations', 'en.yaml'));
    const defaults = AppOptionsSchema.parse({});
    expect(config.options).toEqual(defaults);
    expect(Object.keys(config.schema).sort()).toEqual(Object.keys(defaults).sort());
    expect(config.schema.mqtt_discovery).toBe('bool');
    expect(config.schema.log_level).toBe(`list(${AppOptionsSchema.shape.log_level.unwrap().options.join('|')})`);
    for (const key of Object.keys(defaults)) expect(translations.configuration[key]?.name, key).toBeTruthy();
  });

  it('serve the ingress port that run.sh listens on, map the folders in the list form, and carry the package version', async () => {
    const config = await readYaml<AddonConfig>(join(ADDON, 'config.yaml'));
    const runSh = await readFile(join(ADDON, 'run.sh'), 'utf8');
    expect(config.ingress).toBe(true);
    expect(config.ingress_stream).toBe(true);
    expect(runSh).toContain(`--port ${config.ingress_port}`);
    expect(config.map).toEqual([
      { type: 'homeassistant_config', read_only: false },
      { type: 'backup', read_only: false },
      { type: 'share', read_only: false },
    ]);
    const pkg = JSON.parse(await readFile(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(config.version).toBe(pkg.version);
    expect(config.init).toBe(false);
    expect(await readFile(join(ADDON, 'Dockerfile'), 'utf8')).toMatch(/ENTRYPOINT \["\/usr\/bin\/tini"/);
  });

  it('make a local app folder that holds everything its Dockerfile copies', async () => {
    const out = join(await tmpDir('lifeboat-addon-'), 'lifeboat');
    await run('bash', [join(PROJECT_ROOT, 'scripts', 'addon-local.sh'), out], { cwd: PROJECT_ROOT });
    const dockerfile = await readFile(join(out, 'Dockerfile'), 'utf8');
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] as string).split(/\s+/));
    expect(copied).toContain('source/src');
    for (const path of copied) expect(existsSync(join(out, path)), path).toBe(true);
    for (const file of ['config.yaml', 'run.sh', 'icon.png', 'logo.png', 'DOCS.md', 'translations/en.yaml']) expect(existsSync(join(out, file)), file).toBe(true);
  });
});
