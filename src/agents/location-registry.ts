// The kinds of backup location Lifeboat knows (folder, s3, sftp, webdav): for each, a zod schema
// for its settings (kept in settings.json) and one for its secrets (kept in the 0600 secrets
// file), and how to make its store. `createLocationAgent` builds a location's agent with the
// wrappers around it: retry outermost, then verification, then the bandwidth limit.

import { z } from 'zod';
import type { BackupAgent } from './agent.js';
import type { LocationConfig } from './location-config.js';
import { isValidAgentId } from './agent.js';
import type { BlobStore } from './blob-store.js';
import { FolderSecretsSchema, FolderSettingsSchema, FolderStore } from './folder-location.js';
import { RetryingAgent, type RetryPolicy } from './retrying-agent.js';
import { S3SecretsSchema, S3SettingsSchema, S3Store } from './s3-location.js';
import { presentedHostKey, SftpSecretsSchema, SftpSettingsSchema, SftpStore } from './sftp-location.js';
import { ArchiveLayout } from './archive-layout.js';
import type { BackupLayout } from './backup-layout.js';
import { HaLayout } from './ha-layout.js';
import { StoredBackupAgent } from './stored-backup-agent.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/logger.js';
import { ThrottledAgent } from './throttled-agent.js';
import { VerifiedAgent } from './verified-agent.js';
import { WebdavSecretsSchema, WebdavSettingsSchema, WebdavStore } from './webdav-location.js';

export interface KindEnv {
  agentId: string;
  clock?: Clock;
  log?: Logger;
}

type AnyObject = z.ZodObject<z.ZodRawShape>;

export interface LocationKind {
  kind: string;
  description: string;
  settings: AnyObject;
  secrets: z.ZodType<Record<string, string | undefined>>;
  secretsShape: z.ZodRawShape;
  store(settings: Record<string, unknown>, secrets: Record<string, string | undefined>, env: KindEnv): BlobStore;
  /** How backups are laid out there: as Home Assistant's integration for this kind stores them. */
  layout(settings: Record<string, unknown>, env: KindEnv): BackupLayout;
  /** Kinds whose server proves itself with a host key: the key it presents now (nothing else is sent). */
  hostKey?(settings: Record<string, unknown>): Promise<string>;
}

export class LocationConfigError extends Error {
  override readonly name = 'LocationConfigError';
}

function kind<S extends AnyObject, C extends AnyObject>(def: {
  kind: string;
  description: string;
  settings: S;
  secrets: C | z.ZodType<z.infer<C>>;
  secretsShape: C['shape'];
  store: (settings: z.infer<S>, secrets: z.infer<C>, env: KindEnv) => BlobStore;
  layout: (settings: z.infer<S>, env: KindEnv) => BackupLayout;
  hostKey?: (settings: z.infer<S>) => Promise<string>;
}): LocationKind {
  return def as unknown as LocationKind;
}

export const LOCATION_KINDS: Record<string, LocationKind> = {
  folder: kind({
    kind: 'folder',
    description: 'a mounted folder (SMB/NFS share, USB disk); refuses to write when the share is not mounted',
    settings: FolderSettingsSchema,
    secrets: FolderSecretsSchema,
    secretsShape: FolderSecretsSchema.shape,
    store: (s, _c, env) => new FolderStore(s.path, { marker: true, agentId: env.agentId }),
    // A Supervisor share: backup files, read from their backup.json when they have no record.
    layout: (_s, env) => new HaLayout({ style: 'bare', unrecorded: new ArchiveLayout(env.log), log: env.log }),
  }),
  s3: kind({
    kind: 's3',
    description: 'an S3-compatible bucket (AWS, MinIO, Ceph, Backblaze B2, Cloudflare R2, iDrive e2, …)',
    settings: S3SettingsSchema,
    secrets: S3SecretsSchema,
    secretsShape: S3SecretsSchema.shape,
    store: (s, c) => new S3Store(s, c),
    // Home Assistant's aws_s3 (and cloudflare_r2, idrive_e2); backblaze_b2's records are read too.
    layout: (_s, env) => new HaLayout({ style: 'bare', log: env.log }),
  }),
  sftp: kind({
    kind: 'sftp',
    description: "a folder on an SSH server (key or password; the server's host key pinned)",
    settings: SftpSettingsSchema,
    secrets: SftpSecretsSchema,
    secretsShape: SftpSecretsSchema.shape,
    store: (s, c, env) => new SftpStore(s, c, env.agentId),
    layout: (_s, env) => new HaLayout({ style: 'sftp', log: env.log }),
    hostKey: (s) => presentedHostKey(s),
  }),
  webdav: kind({
    kind: 'webdav',
    description: 'a folder on a WebDAV server (Nextcloud, ownCloud, NAS), Basic authentication',
    settings: WebdavSettingsSchema,
    secrets: WebdavSecretsSchema,
    secretsShape: WebdavSecretsSchema.shape,
    store: (s, c) => new WebdavStore(s, c),
    layout: (_s, env) => new HaLayout({ style: 'bare', log: env.log }),
  }),
};

export function locationKind(name: string): LocationKind {
  const k = LOCATION_KINDS[name];
  if (!k) throw new LocationConfigError(`Unknown location kind "${name}"; known kinds: ${Object.keys(LOCATION_KINDS).join(', ')}`);
  return k;
}

/** The unique id part of an agent id from a display name: lower case, `_` for anything else. */
export function slugifyLocationName(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 60);
}

/** `<kind>.<name-slug>`, validated. */
export function locationAgentId(kindName: string, name: string): string {
  locationKind(kindName);
  const slug = slugifyLocationName(name);
  const id = `${kindName}.${slug}`;
  if (!slug || !isValidAgentId(id)) throw new LocationConfigError(`"${name}" does not make a usable location id; use letters and digits`);
  return id;
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
}

/** Validated settings and secrets of a location (defaults filled in). */
export function parseLocation(spec: Pick<LocationConfig, 'id' | 'kind' | 'settings'>, secrets: Record<string, string>) {
  const k = locationKind(spec.kind);
  const settings = k.settings.safeParse(spec.settings);
  if (!settings.success) throw new LocationConfigError(`Location ${spec.id}: invalid settings: ${issues(settings.error)}`);
  const parsedSecrets = k.secrets.safeParse(secrets);
  if (!parsedSecrets.success) throw new LocationConfigError(`Location ${spec.id}: missing or invalid credentials: ${issues(parsedSecrets.error)}`);
  return { kind: k, settings: settings.data as Record<string, unknown>, secrets: parsedSecrets.data };
}

/** The bare agent of a location (no wrappers), e.g. for `location test`. */
export function createStoredAgent(spec: LocationConfig, secrets: Record<string, string>, env: Omit<KindEnv, 'agentId'> = {}): StoredBackupAgent {
  const { kind: k, settings, secrets: creds } = parseLocation(spec, secrets);
  const [domain, uniqueId] = spec.id.split('.') as [string, string];
  const kindEnv = { ...env, agentId: spec.id };
  const store = k.store(settings, creds, kindEnv);
  return new StoredBackupAgent({ domain, uniqueId, name: spec.name }, store, { layout: k.layout(settings, kindEnv), recordDigest: spec.verify, clock: env.clock, log: env.log });
}

export interface AgentOptions extends Omit<KindEnv, 'agentId'> {
  retry?: Partial<RetryPolicy>;
}

/** A location's agent as the manager uses it: retry(verify(limit(kind))). */
export function createLocationAgent(spec: LocationConfig, secrets: Record<string, string>, opts: AgentOptions = {}): { agent: BackupAgent; close: () => Promise<void> } {
  const stored = createStoredAgent(spec, secrets, opts);
  let agent: BackupAgent = stored;
  if (spec.bandwidth_limit) agent = new ThrottledAgent(agent, spec.bandwidth_limit);
  if (spec.verify) agent = new VerifiedAgent(agent);
  agent = new RetryingAgent(agent, opts.retry);
  return { agent, close: () => stored.close() };
}

/** The kinds of location and how their agents are made: what the application is given to build its locations. */
export const LOCATION_REGISTRY = {
  kinds: LOCATION_KINDS,
  kind: locationKind,
  agentIdFor: locationAgentId,
  parse: parseLocation,
  storedAgent: createStoredAgent,
  agent: createLocationAgent,
} as const;
export type LocationRegistry = typeof LOCATION_REGISTRY;
