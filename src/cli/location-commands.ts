// `lifeboat location add|list|test|remove`: backup locations beyond the local folder. Each kind's
// settings become options (from its zod schema); credentials come from a file (--secrets-file, or
// --<secret>-file), from LIFEBOAT_<SECRET> environment variables, or — kept out of shell history
// only if you take care — from options. They are stored in the 0600 secrets file, never in
// settings.json, and never printed.

import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { z } from 'zod';
import { LOCATION_KINDS, type LocationKind } from '../core/location-kinds.js';
import { probePassed } from '../core/locations.js';
import type { ProbeReport } from '../core/types.js';
import { openCore } from './context.js';
import { UsageError } from './common.js';
import { formatBytes } from './progress.js';

type FieldType = 'string' | 'number' | 'boolean';

/** The base type of a schema field, through optional/default/nullable wrappers. */
function fieldType(schema: z.ZodType): FieldType {
  let def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
  while (def.innerType && ['optional', 'default', 'nullable', 'prefault'].includes(def.type)) {
    def = (def.innerType as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
  }
  return def.type === 'number' ? 'number' : def.type === 'boolean' ? 'boolean' : 'string';
}

const kebab = (key: string) => key.replace(/_/g, '-');
const camel = (key: string) => key.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

interface Field {
  key: string;
  type: FieldType;
  description: string;
  kinds: string[];
}

function collectFields(kinds: readonly LocationKind[], which: 'settings' | 'secrets'): Field[] {
  const fields = new Map<string, Field>();
  for (const k of kinds) {
    const shape = which === 'settings' ? k.settings.shape : k.secretsShape;
    for (const [key, schema] of Object.entries(shape)) {
      const s = schema as z.ZodType;
      const existing = fields.get(key);
      const description = s.description ?? key;
      if (existing) {
        existing.kinds.push(k.kind);
        if (!existing.description.includes(description)) existing.description += `; ${k.kind}: ${description}`;
      } else fields.set(key, { key, type: fieldType(s), description: `${k.kind}: ${description}`, kinds: [k.kind] });
    }
  }
  return [...fields.values()];
}

/** "10M", "512k", "1.5G" or plain bytes per second. */
export function parseRate(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`--bandwidth-limit must be bytes per second, e.g. 500k or 10M; got "${text}"`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  const n = Math.round(Number(m[1]) * unit);
  if (n < 1024) throw new UsageError('--bandwidth-limit must be at least 1k (1024 bytes per second)');
  return n;
}

async function readSecretFile(path: string, what: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UsageError(`Cannot read ${what} from ${path}: ${err.code ?? err.message}`);
  });
  return what === 'private_key' ? text : text.replace(/\r?\n$/, '');
}

function printProbe(id: string, report: ProbeReport): void {
  for (const line of report.detail) process.stdout.write(`  ${line}\n`);
  const free = report.freeBytes === null ? 'unknown' : formatBytes(report.freeBytes);
  process.stdout.write(
    `${id}: ${report.reachable ? 'reachable' : 'NOT reachable'}, credentials ${report.credentials ? 'accepted' : 'NOT accepted'}, ${report.writable ? 'writable' : 'NOT writable'}, free space ${free}\n`,
  );
}

export function registerLocationCommands(program: Command): void {
  const location = program.command('location').description('backup locations beyond the local folder: folder, s3, sftp, webdav');
  const kinds = Object.values(LOCATION_KINDS);
  const settingFields = collectFields(kinds, 'settings');
  const secretFields = collectFields(kinds, 'secrets');

  const add = location
    .command('add')
    .description('add a backup location (tested before it is saved)')
    .argument('<kind>', `one of: ${Object.keys(LOCATION_KINDS).join(', ')}`)
    .argument('<name>', 'a name for it; the location id becomes <kind>.<name as a slug>');
  for (const f of settingFields) {
    const flag = f.type === 'boolean' ? `--${kebab(f.key)}` : `--${kebab(f.key)} <value>`;
    add.option(flag, f.description);
  }
  for (const f of secretFields) {
    add.option(`--${kebab(f.key)}-file <file>`, `${f.description}, read from a file (or $LIFEBOAT_${f.key.toUpperCase()})`);
    add.option(`--${kebab(f.key)} <value>`, `the same on the command line: visible to other users of this machine`);
  }
  add
    .option('--secrets-file <file>', 'credentials as a JSON object, e.g. {"access_key_id": "…", "secret_access_key": "…"}')
    .option('--bandwidth-limit <rate>', 'at most this many bytes per second, e.g. 2M')
    .option('--no-verify', 'do not read uploads back to compare their SHA-256 (and take no digest of them)')
    .option('--encrypted', 'store backups here encrypted (with the backup key) even when they are made unencrypted')
    .option('--unencrypted', 'store backups here unencrypted (decrypted on the fly)')
    .option('--automatic', 'also use this location for automatic backups')
    .option('--create', 'folder: create the folder if it does not exist')
    .option('--host-key <fingerprint>', "sftp: the server's host key fingerprint (SHA256:…; on the server: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)")
    .option('--accept-host-key', 'sftp: pin the host key the server presents now (printed) instead of giving it')
    .option('--no-test', 'save without testing the connection first')
    .action(async (kindName: string, name: string, opts: Record<string, unknown>, cmd: Command) => {
      if (opts.encrypted && opts.unencrypted) throw new UsageError('Use --encrypted or --unencrypted, not both');
      const kind = LOCATION_KINDS[kindName];
      if (!kind) throw new UsageError(`Unknown location kind "${kindName}"; known kinds: ${Object.keys(LOCATION_KINDS).join(', ')}`);

      const settings: Record<string, unknown> = {};
      for (const f of settingFields) {
        const value = opts[camel(f.key)];
        if (value === undefined) continue;
        if (!(f.key in kind.settings.shape)) throw new UsageError(`--${kebab(f.key)} is not a setting of ${kindName} locations`);
        settings[f.key] = f.type === 'number' ? Number(value) : value;
      }
      if (typeof opts.hostKey === 'string') {
        if (!('host_key_sha256' in kind.settings.shape)) throw new UsageError(`--host-key is not a setting of ${kindName} locations`);
        settings.host_key_sha256 = opts.hostKey;
      }
      const secrets: Record<string, string> = {};
      if (typeof opts.secretsFile === 'string') {
        const parsed = z.record(z.string(), z.string()).safeParse(JSON.parse(await readSecretFile(opts.secretsFile, 'credentials')));
        if (!parsed.success) throw new UsageError('--secrets-file must hold a JSON object of strings');
        Object.assign(secrets, parsed.data);
      }
      for (const f of secretFields) {
        if (!(f.key in kind.secretsShape)) continue;
        const env = process.env[`LIFEBOAT_${f.key.toUpperCase()}`];
        if (env !== undefined) secrets[f.key] = env;
        const file = opts[`${camel(f.key)}File`];
        if (typeof file === 'string') secrets[f.key] = await readSecretFile(file, f.key);
        const value = opts[camel(f.key)];
        if (typeof value === 'string') secrets[f.key] = value;
      }

      const core = await openCore(cmd);
      const added = await core.locations.add({
        kind: kindName,
        name,
        settings,
        secrets,
        bandwidthLimit: typeof opts.bandwidthLimit === 'string' ? parseRate(opts.bandwidthLimit) : null,
        verify: opts.verify !== false,
        protected: opts.encrypted ? true : opts.unencrypted ? false : undefined,
        automatic: opts.automatic === true,
        createFolder: opts.create === true,
        test: opts.test !== false,
        acceptHostKey: opts.acceptHostKey === true,
      });
      const id = added.location.id;
      if (added.probe) {
        printProbe(id, added.probe);
        if (!probePassed(added.probe)) throw new UsageError(`The location ${id} did not pass its test, so it was not saved (use --no-test to save it anyway)`);
      }
      const pinned = added.location.settings.host_key_sha256;
      process.stdout.write(`Added location ${id} (${added.where})${typeof pinned === 'string' ? `; host key ${pinned} pinned` : ''}\n`);
    });

  location
    .command('list')
    .description('list the backup locations (credentials are never shown)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const rows = core.locations.list();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ locations: rows }, null, 2)}\n`);
        return;
      }
      if (rows.length === 0) process.stdout.write('No locations besides the local folder (backup.local). Add one with `lifeboat location add`.\n');
      for (const r of rows) {
        const notes = [
          r.protected === null ? 'encrypted when a key is used' : r.protected ? 'encrypted' : 'unencrypted',
          r.automatic ? 'used by automatic backups' : null,
          r.bandwidth_limit ? `limit ${formatBytes(r.bandwidth_limit)}/s` : null,
          r.verify ? null : 'not verified',
          r.failed_copies_queued ? `${r.failed_copies_queued} failed copies queued` : null,
        ].filter(Boolean);
        process.stdout.write(`${r.id}  ${r.name}  ${r.where}  (${notes.join(', ')})\n`);
      }
    });

  location
    .command('test')
    .description('check a location: reachable, credentials accepted, writable, free space')
    .argument('<id>', 'location id, e.g. s3.offsite')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      const report = await core.locations.test(id);
      printProbe(id, report);
      if (!probePassed(report)) throw new UsageError(`The location ${id} did not pass its test`);
    });

  location
    .command('remove')
    .description('remove a location from Lifeboat (the backups stored there stay where they are)')
    .argument('<id>', 'location id')
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      await core.locations.remove(id);
      process.stdout.write(`Removed location ${id}; the backups stored there were left in place.\n`);
    });
}
