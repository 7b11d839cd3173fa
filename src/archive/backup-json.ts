// backup.json: the zod schema for what Home Assistant Core and the Supervisor write, the record a
// reader derives from it, compact serialisation, the backup id, default names and file names.

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { InvalidBackupArchive, InvalidBackupFilename } from '../util/errors.js';
import { parseIsoParts } from '../util/time.js';

const AddonSchema = z.looseObject({
  slug: z.string(),
  name: z.string().nullish(),
  version: z.string().nullish(),
});

/** backup.json as Core and the Supervisor write it; unknown keys are kept. */
export const BackupJsonSchema = z.looseObject({
  slug: z.string().min(1),
  name: z.string(),
  date: z.string().min(1),
  version: z.number().int().optional(),
  type: z.string().optional(),
  compressed: z.boolean().optional(),
  protected: z.boolean().optional(),
  crypto: z.string().nullish(),
  homeassistant: z
    .looseObject({
      version: z.string().nullish(),
      exclude_database: z.boolean().nullish(),
    })
    .nullish(),
  addons: z.array(AddonSchema).nullish(),
  folders: z.array(z.string()).nullish(),
  extra: z.record(z.string(), z.unknown()).nullish(),
});
export type BackupJson = z.infer<typeof BackupJsonSchema>;

export const FOLDERS = ['share', 'addons/local', 'ssl', 'media'] as const;
export type Folder = (typeof FOLDERS)[number];

/** Extra metadata values are strings or booleans (Home Assistant's rule). */
export const ExtraMetadataSchema = z.record(z.string(), z.union([z.string(), z.boolean()]));
export type ExtraMetadata = z.infer<typeof ExtraMetadataSchema>;

/** One location's view of a backup (Home Assistant's AgentBackup). */
export const AgentBackupSchema = z.object({
  addons: z.array(z.object({ name: z.string().nullable(), slug: z.string(), version: z.string().nullable() })),
  backup_id: z.string(),
  date: z.string(),
  database_included: z.boolean(),
  extra_metadata: ExtraMetadataSchema,
  folders: z.array(z.enum(FOLDERS)),
  homeassistant_included: z.boolean(),
  homeassistant_version: z.string().nullable(),
  name: z.string(),
  protected: z.boolean(),
  size: z.number().int().nonnegative(),
});
export type AgentBackup = z.infer<typeof AgentBackupSchema>;

/** Prefix of Lifeboat's own keys in `extra` (Home Assistant ignores unknown keys). */
export const LIFEBOAT_EXTRA_PREFIX = 'lifeboat.';
/** `extra` key holding the SHA-256 of an inner archive's plaintext (the P bytes). */
export const digestExtraKey = (member: string) => `${LIFEBOAT_EXTRA_PREFIX}sha256:${member}`;
/** The bytes of the inner tar of a member (what a restore writes to disk), recorded by Lifeboat. */
export const unpackedSizeExtraKey = (member: string) => `${LIFEBOAT_EXTRA_PREFIX}unpacked_size:${member}`;
/** Fixed width, so backup.json keeps its length when the value is patched in after writing. */
export const formatUnpackedSize = (bytes: number) => String(bytes).padStart(16, '0');
/** The non-secret fingerprint of the key an encrypted backup was made with. */
export const KEY_FINGERPRINT_EXTRA = `${LIFEBOAT_EXTRA_PREFIX}key_fingerprint`;

/**
 * Home Assistant's name safety check (2026.6+): the name becomes part of a file name, so it must
 * be non-empty, not `.`/`..`, and be its own last path component under Windows path rules.
 */
export function isSafeBackupName(name: string): boolean {
  if (name === '' || name === '.' || name === '..') return false;
  if (name.includes('/') || name.includes('\\')) return false;
  if (/^[A-Za-z]:/.test(name)) return false;
  return true;
}

export function assertSafeBackupName(name: string): void {
  if (!isSafeBackupName(name)) throw new InvalidBackupFilename(`Invalid backup name: ${JSON.stringify(name)}`);
}

/** Parses and validates backup.json text. */
export function parseBackupJson(text: string): BackupJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new InvalidBackupArchive(`backup.json is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = BackupJsonSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.join('.') || 'backup.json';
    throw new InvalidBackupArchive(`backup.json is invalid at ${where}: ${issue?.message ?? 'bad value'}`);
  }
  return parsed.data;
}

/** The reader's derived record (Home Assistant's rules: defaults, name check, date override). */
export function deriveAgentBackup(json: BackupJson, size: number): AgentBackup {
  assertSafeBackupName(json.name);
  const extra: ExtraMetadata = {};
  for (const [k, v] of Object.entries(json.extra ?? {})) {
    if (typeof v === 'string' || typeof v === 'boolean') extra[k] = v;
  }
  const requestDate = extra['supervisor.backup_request_date'];
  const ha = json.homeassistant;
  const haIncluded = ha != null && typeof ha.version === 'string';
  return {
    addons: (json.addons ?? []).map((a) => ({ name: a.name ?? null, slug: a.slug, version: a.version ?? null })),
    backup_id: json.slug,
    date: typeof requestDate === 'string' ? requestDate : json.date,
    database_included: haIncluded ? !ha.exclude_database : false,
    extra_metadata: extra,
    folders: (json.folders ?? []).filter((f): f is Folder => (FOLDERS as readonly string[]).includes(f)),
    homeassistant_included: haIncluded,
    homeassistant_version: haIncluded ? (ha.version as string) : null,
    name: json.name,
    protected: json.protected ?? false,
    size,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/** Compact serialisation with keys in alphabetical order at every level, as Core writes it. */
export function serializeBackupJson(json: BackupJson | Record<string, unknown>): string {
  return JSON.stringify(sortKeys(json));
}

/** Backup id: first 8 hex digits of SHA-1 over lower-cased `<date> - <name>`. */
export function computeBackupId(date: string, name: string): string {
  return createHash('sha1').update(`${date} - ${name}`.toLowerCase(), 'utf8').digest('hex').slice(0, 8);
}

/** Default name: trimmed supplied name, else `Automatic backup <v>` / `Custom backup <v>`. */
export function backupName(supplied: string | null | undefined, automatic: boolean, haVersion: string): string {
  const trimmed = (supplied ?? '').trim();
  if (trimmed) return trimmed;
  return `${automatic ? 'Automatic' : 'Custom'} backup ${haVersion}`;
}

const p2 = (n: number) => String(n).padStart(2, '0');

/** File name in the local backup folder: `<name> <YYYY-MM-DD> <HH.MM> <SSffffff>.tar`, spaces → `_`. */
export function suggestedFileName(name: string, date: string): string {
  const d = parseIsoParts(date);
  if (!d) throw new InvalidBackupArchive(`Invalid backup date: ${JSON.stringify(date)}`);
  const text =
    `${name} ${String(d.year).padStart(4, '0')}-${p2(d.month)}-${p2(d.day)} ` +
    `${p2(d.hour)}.${p2(d.minute)} ${p2(d.second)}${String(d.micros).padStart(6, '0')}.tar`;
  // Home Assistant's rule, made safe as one file name: no folder separators, NULs or leading dot
  // (a backup's name comes from its backup.json, which anyone may have written).
  return text.trim().split(/\s+/u).join('_').replace(/[/\\\0]/g, '_').replace(/^\./, '_');
}

/** Inputs for a Core backup.json written by Lifeboat. */
export interface CoreBackupJsonInput {
  date: string;
  name: string;
  haVersion: string;
  instanceId: string;
  withAutomaticSettings: boolean;
  excludeDatabase: boolean;
  protected: boolean;
  extra?: ExtraMetadata;
}

/** backup.json exactly as Home Assistant Core writes it, plus Lifeboat's namespaced `extra` keys. */
export function buildCoreBackupJson(input: CoreBackupJsonInput): BackupJson {
  assertSafeBackupName(input.name);
  return {
    compressed: true,
    date: input.date,
    extra: {
      ...input.extra,
      instance_id: input.instanceId,
      with_automatic_settings: input.withAutomaticSettings,
    },
    homeassistant: { exclude_database: input.excludeDatabase, version: input.haVersion },
    name: input.name,
    protected: input.protected,
    slug: computeBackupId(input.date, input.name),
    type: 'partial',
    version: 2,
  };
}

/** ASCII slug for download file names (python-slugify style, `_` separator, `unknown` if empty). */
export function slugifyName(name: string): string {
  const ascii = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
  const slug = ascii
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return slug || 'unknown';
}
