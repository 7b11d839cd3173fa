// The compose.yaml example at the repository's root: valid YAML, and wired as the README says —
// Lifeboat sees Home Assistant's config folder as /config, keeps its state in its own /data, stops
// the container its LIFEBOAT_HA_CONTAINER names through the mounted Docker socket, and every port
// is published on 127.0.0.1 only.

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { z } from 'zod';
import { PROJECT_ROOT } from '../helpers/paths.js';

const ServiceSchema = z.object({
  image: z.string().optional(),
  build: z.union([z.string(), z.object({ context: z.string() })]).optional(),
  container_name: z.string().optional(),
  user: z.string().optional(),
  environment: z.record(z.string(), z.string()).optional(),
  volumes: z.array(z.string()).default([]),
  ports: z.array(z.string()).default([]),
});
const ComposeSchema = z.object({ services: z.record(z.string(), ServiceSchema), volumes: z.record(z.string(), z.unknown()).optional() });

async function compose() {
  return ComposeSchema.parse(parse(await readFile(join(PROJECT_ROOT, 'compose.yaml'), 'utf8')));
}

/** `source:target[:mode]` of a short volume entry. */
function mount(entry: string): { source: string; target: string; mode?: string } {
  const [source = '', target = '', mode] = entry.split(':');
  return { source, target, mode };
}

describe('the compose.yaml example', () => {
  it('parses and has Home Assistant, Lifeboat built from the Dockerfile, and Mosquitto', async () => {
    const { services } = await compose();
    expect(Object.keys(services).sort()).toEqual(['homeassistant', 'lifeboat', 'mosquitto']);
    expect(services.homeassistant?.image).toBe('ghcr.io/home-assistant/home-assistant:stable');
    expect(services.lifeboat?.build).toBe('.');
  });

  it("gives Lifeboat Home Assistant's config folder as /config and a volume of its own as /data", async () => {
    const { services, volumes } = await compose();
    const ha = services.homeassistant!.volumes.map(mount).find((m) => m.target === '/config');
    const lifeboat = services.lifeboat!.volumes.map(mount);
    expect(lifeboat.find((m) => m.target === '/config')?.source).toBe(ha?.source);
    const data = lifeboat.find((m) => m.target === '/data');
    expect(data && volumes && data.source in volumes).toBe(true);
  });

  it('names the Home Assistant container that Lifeboat stops, and mounts the Docker socket read-only', async () => {
    const { services } = await compose();
    expect(services.lifeboat?.environment?.LIFEBOAT_HA_CONTAINER).toBe(services.homeassistant?.container_name);
    expect(services.lifeboat!.volumes.map(mount)).toContainEqual({ source: '/var/run/docker.sock', target: '/var/run/docker.sock', mode: 'ro' });
  });

  it('publishes every port on 127.0.0.1 only', async () => {
    const { services } = await compose();
    const ports = Object.values(services).flatMap((s) => s.ports);
    expect(ports).toContain('127.0.0.1:8124:8124');
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });
});
