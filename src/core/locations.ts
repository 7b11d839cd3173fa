// Backup locations beyond the local folder as a use case: the kinds there are (with their
// settings and credentials, for forms and options), the configured ones with their state, and
// adding (tested before it is saved), testing and removing one. Credentials go to the secrets
// file only and are never shown; removing a location leaves the backups stored there in place.

import { mkdir } from 'node:fs/promises';
import type { LocationConfig } from '../agents/location-config.js';
import type { LocationKind } from '../agents/location-registry.js';
import type { ProbeReport } from '../agents/blob-store.js';
import { FolderStore } from '../agents/folder-location.js';
import { LOCAL_AGENT_ID } from '../agents/agent.js';
import { InvalidRequestError } from '../util/errors.js';
import { nowDate } from '../util/clock.js';
import type { CoreParts } from './parts.js';

/** Where a location is, for people (no credentials). */
export function locationAddress(l: Pick<LocationConfig, 'kind' | 'settings'>): string {
  const s = l.settings;
  switch (l.kind) {
    case 'folder':
      return String(s.path);
    case 's3':
      return `s3://${String(s.bucket)}/${String(s.prefix ?? '')}${s.endpoint ? ` at ${String(s.endpoint)}` : ''}`;
    case 'sftp':
      return `sftp://${String(s.username)}@${String(s.host)}:${String(s.port ?? 22)}/${String(s.path)}`;
    case 'webdav':
      return `${String(s.url).replace(/\/$/, '')}${String(s.path ?? '/')}`;
    default:
      return '';
  }
}

export interface NewLocation {
  kind: string;
  /** A name; the location id becomes `<kind>.<name as a slug>`. */
  name: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
  /** Bytes per second, or null for no limit. */
  bandwidthLimit: number | null;
  /** Read each upload back and compare its SHA-256. */
  verify: boolean;
  /** Store backups here encrypted (true) or decrypted (false); undefined: as made. */
  protected?: boolean;
  /** Also use it for automatic backups. */
  automatic?: boolean;
  /** A `folder` location: create the folder when it does not exist. */
  createFolder?: boolean;
  /** Test the location before saving it (default true). */
  test?: boolean;
  /** A kind with a host key (sftp) and none given: pin the key the server presents now. */
  acceptHostKey?: boolean;
}

export interface LocationRow extends LocationConfig {
  where: string;
  /** The names of the saved credentials (never their values). */
  credentials: string[];
  protected: boolean | null;
  automatic: boolean;
  failed_copies_queued: number;
}

/** Whether a probe found the location usable. */
export const probePassed = (r: ProbeReport) => r.reachable && r.credentials && r.writable;

export class Locations {
  constructor(private readonly parts: CoreParts) {}

  kinds(): LocationKind[] {
    return Object.values(this.parts.registry.kinds);
  }

  list(): LocationRow[] {
    const { settings, manager } = this.parts;
    const config = settings.config;
    return config.locations.map((l) => ({
      ...l,
      where: locationAddress(l),
      credentials: Object.keys(settings.secrets.locationSecrets(l.id)).sort(),
      protected: config.agents[l.id]?.protected ?? null,
      automatic: config.create_backup.agent_ids.includes(l.id),
      failed_copies_queued: manager.uploadQueue.list().filter((e) => e.agent_id === l.id).length,
    }));
  }

  private find(id: string): LocationConfig {
    const spec = this.parts.settings.config.locations.find((l) => l.id === id);
    if (!spec) throw new InvalidRequestError('location_not_found', `No location ${id}; see \`lifeboat location list\``);
    return spec;
  }

  /** Checks a location: reachable, credentials accepted, writable, free space. */
  async test(id: string): Promise<ProbeReport> {
    const { registry, settings, clock } = this.parts;
    const spec = this.find(id);
    const agent = registry.storedAgent(spec, settings.secrets.locationSecrets(id), { clock });
    return agent.probe().finally(() => agent.close());
  }

  /**
   * Adds a location: checks its settings and credentials, marks a folder as mounted, tests it (a
   * failed test saves nothing), then saves it. Returns the saved location and the test's report.
   */
  async add(request: NewLocation): Promise<{ location: LocationConfig; where: string; probe: ProbeReport | null }> {
    const { registry, settings, clock } = this.parts;
    const id = registry.agentIdFor(request.kind, request.name);
    if (id === LOCAL_AGENT_ID || settings.config.locations.some((l) => l.id === id)) {
      throw new InvalidRequestError('location_exists', `There is already a location ${id}; remove it first or choose another name`);
    }
    const spec: LocationConfig = {
      id,
      kind: request.kind,
      name: request.name,
      settings: request.settings,
      bandwidth_limit: request.bandwidthLimit,
      verify: request.verify,
    };
    spec.settings = registry.parse(spec, request.secrets).settings;
    await this.pinHostKey(spec, request.acceptHostKey === true);
    if (request.kind === 'folder') {
      const path = String(spec.settings.path);
      if (request.createFolder) await mkdir(path, { recursive: true });
      await new FolderStore(path, { marker: true, agentId: id }).markMounted(nowDate(clock)).catch((err: NodeJS.ErrnoException) => {
        throw new InvalidRequestError(
          'location_unusable',
          `Cannot use ${path}: ${err.code === 'ENOENT' ? 'it does not exist (mount the share first, or use --create)' : err.message}`,
        );
      });
    }
    let probe: ProbeReport | null = null;
    if (request.test !== false) {
      const agent = registry.storedAgent(spec, request.secrets, { clock });
      probe = await agent.probe().finally(() => agent.close());
      if (!probePassed(probe)) return { location: spec, where: locationAddress(spec), probe };
    }
    await settings.setLocationSecrets(id, Object.keys(request.secrets).length ? request.secrets : null);
    await settings.setLocations((saved) => [...saved.filter((l) => l.id !== id), spec]);
    const update: Record<string, unknown> = {};
    if (request.protected !== undefined) update.agents = { [id]: { protected: request.protected } };
    if (request.automatic) update.create_backup = { agent_ids: [...new Set([...settings.config.create_backup.agent_ids, id])] };
    if (Object.keys(update).length) await settings.update(update);
    return { location: spec, where: locationAddress(spec), probe };
  }

  /**
   * A kind whose server proves itself with a host key gets one pinned before anything is sent to it:
   * the one given, or — when the caller accepts it — the one the server presents now. Otherwise the
   * request is refused with the presented fingerprint, to be checked and given back.
   */
  private async pinHostKey(spec: LocationConfig, accept: boolean): Promise<void> {
    const kind = this.parts.registry.kind(spec.kind);
    if (!kind.hostKey || spec.settings.host_key_sha256) return;
    const presented = await kind.hostKey(spec.settings).catch((err: unknown) => {
      throw new InvalidRequestError('location_unreachable', `Cannot read the host key of ${locationAddress(spec)}: ${(err as Error).message}`);
    });
    if (!accept) {
      throw new InvalidRequestError(
        'location_host_key_unknown',
        `The server presented the host key ${presented}. Check it (on the server: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add the location with --host-key ${presented} (or --accept-host-key); nothing else was sent to it`,
      );
    }
    spec.settings = { ...spec.settings, host_key_sha256: presented };
  }

  /** Removes a location from Lifeboat; the backups stored there stay where they are. */
  async remove(id: string): Promise<void> {
    const { settings, manager } = this.parts;
    this.find(id);
    await settings.replace((saved) => {
      const agents = { ...saved.agents };
      delete agents[id];
      return {
        ...saved,
        agents,
        locations: saved.locations.filter((l) => l.id !== id),
        create_backup: { ...saved.create_backup, agent_ids: saved.create_backup.agent_ids.filter((a) => a !== id) },
      };
    });
    await settings.setLocationSecrets(id, null);
    for (const e of manager.uploadQueue.list().filter((q) => q.agent_id === id)) await manager.uploadQueue.remove(e.backup_id, id);
  }
}
