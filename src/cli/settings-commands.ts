// `lifeboat settings`, `lifeboat key`, `lifeboat status`, `lifeboat retention preview` and
// `lifeboat notify test`: the automatic-backup settings and what they lead to.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { writeFileAtomic } from '../util/durable-fs.js';
import { openCore } from './context.js';
import { readStdinText, UsageError } from './common.js';
import { readFile } from 'node:fs/promises';
import { RecorderDatabaseModeSchema } from '../core/settings.js';
import type { RecorderDatabaseInfo } from '../core/status.js';

export function registerSettingsCommands(program: Command): void {
  const settings = program.command('settings').description('show or change the automatic-backup settings');
  settings
    .command('show')
    .description('show the settings (the encryption key is never shown here; see `lifeboat key show`)')
    .option('--json', 'print as JSON (the same shape as backup/config/info)')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const config = await core.settings.publicConfig({ withSecrets: true });
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ config }, null, 2)}\n`);
        return;
      }
      const c = core.settings.config;
      const fingerprint = core.status.keyFingerprint;
      const lines = [
        `Schedule:   ${core.settings.describeSchedule()}${config.next_automatic_backup ? ` (next: ${String(config.next_automatic_backup)})` : ''}`,
        `Locations:  ${c.create_backup.agent_ids.join(', ') || 'none chosen'}`,
        `Database:   ${c.create_backup.include_database ? 'included' : 'left out'}`,
        `Encryption: ${c.create_backup.encrypted && fingerprint ? `on (key ${fingerprint})` : 'off'}`,
        `Retention:  ${core.retention.describe()}`,
        `Last attempted: ${c.last_attempted_automatic_backup ?? 'never'}; last successful: ${c.last_completed_automatic_backup ?? 'never'}`,
        `Time zone:  ${core.settings.timeZone}`,
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
  settings
    .command('recorder')
    .description('which recorder database backups include: the one Home Assistant\'s configuration names (auto), none (off), or an address of your own (custom)')
    .argument('[mode]', 'auto, off or custom; without it, shows the setting and what the next backup includes')
    .option('--url-file <file>', 'custom: read the database address (mysql://user:password@host/db, postgresql://…) from the first line of a file, or - for standard input; kept in the secrets file')
    .addHelpText(
      'after',
      `
Home Assistant's configuration may name a host only Home Assistant can reach (an add-on's
core-mariadb): save an address Lifeboat can reach with 'custom'. The address holds the database
password, so it is read from a file or standard input, never from the command line:
  echo 'mysql://hass:secret@192.168.1.10/homeassistant?charset=utf8mb4' | lifeboat settings recorder custom --url-file -`,
    )
    .action(async (mode: string | undefined, opts: { urlFile?: string }, cmd: Command) => {
      const core = await openCore(cmd);
      if (mode !== undefined) {
        const parsed = RecorderDatabaseModeSchema.safeParse(mode);
        if (!parsed.success) throw new UsageError('The mode is auto, off or custom');
        if (opts.urlFile !== undefined) {
          if (parsed.data !== 'custom') throw new UsageError('--url-file goes with the mode custom');
          const text = opts.urlFile === '-' ? await readStdinText() : await readFile(opts.urlFile, 'utf8');
          await core.settings.setRecorderUrl((text.split(/\r?\n/)[0] ?? '').trim()).catch((err: unknown) => {
            throw new UsageError((err as Error).message);
          });
        }
        await core.settings.update({ recorder_database: parsed.data });
      }
      const db = await core.status.recorderDatabase();
      process.stdout.write(`Setting: ${core.settings.config.recorder_database}\nThe next backup includes: ${recorderLine(db)}\n`);
    });
  settings
    .command('update')
    .description("change settings with a backup/config/update payload, e.g. '{\"schedule\":{\"recurrence\":\"daily\",\"time\":\"04:45\"}}'")
    .argument('<json>', 'the update payload (Home Assistant semantics: schedule and retention are replaced whole)')
    .action(async (json: string, _opts: unknown, cmd: Command) => {
      let payload: unknown;
      try {
        payload = JSON.parse(json);
      } catch {
        throw new UsageError('The update must be JSON');
      }
      const core = await openCore(cmd);
      const change = await core.settings.update(payload).catch((err: unknown) => {
        if (err instanceof z.ZodError) {
          const issue = err.issues[0];
          throw new UsageError(`Invalid settings: ${issue?.path.join('.') || 'payload'}: ${issue?.message ?? 'invalid'}`);
        }
        throw err;
      });
      process.stdout.write(`Settings saved.${change.keyChanged ? ` Encryption key: ${core.status.keyFingerprint} (see \`lifeboat key show\`)` : ''}\n`);
    });

  const key = program.command('key').description('the backup encryption key');
  key
    .command('show')
    .description('print the current encryption key and its fingerprint')
    .action(async (_opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      const current = core.keys.show();
      if (!current) throw new UsageError('No encryption key yet: it is made when automatic backups are configured, or with `lifeboat key rotate`');
      process.stdout.write(`${current.key}\nfingerprint ${current.fingerprint}\n`);
    });
  key
    .command('emergency-kit')
    .description("write Home Assistant's emergency kit (the key, how to use it) to a file, or - for stdout")
    .argument('[file]', 'where to write it (default: home_assistant_backup_emergency_kit_<date>.txt)')
    .option('--url <url>', 'the instance URL to put in the kit', 'http://homeassistant.local:8123')
    .option('--name <name>', 'the location name to put in the kit', 'Home')
    .action(async (file: string | undefined, opts: { url: string; name: string }, cmd: Command) => {
      const core = await openCore(cmd);
      const kit = core.keys.emergencyKit({ locationName: opts.name, instanceUrl: opts.url });
      if (!kit) throw new UsageError('No encryption key yet');
      if (file === '-') {
        process.stdout.write(kit.kit);
        return;
      }
      const target = resolve(file ?? kit.fileName);
      // A new file renamed into place: 0600 even where a file with wider permissions was (writeFile's
      // mode only applies to a file it creates), and never written through a link standing there.
      await writeFileAtomic(target, kit.kit, 0o600);
      process.stdout.write(`Wrote the emergency kit to ${target}. Keep it away from the system it protects.\n`);
    });
  key
    .command('rotate')
    .description('make a new key for future backups (earlier keys stay in the keyring, so older backups still restore)')
    .action(async (_opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      const next = await core.keys.rotate();
      process.stdout.write(`${next.key}\nfingerprint ${next.fingerprint}\nDownload a new emergency kit: lifeboat key emergency-kit\n`);
    });

  program
    .command('status')
    .description('the Backup entities: manager state, next scheduled, last attempted and last successful automatic backup, the automatic-backup event')
    .option('--json', 'print Home Assistant state objects')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const states = core.status.entities();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
        return;
      }
      for (const s of states) {
        const extra = s.entity_id.startsWith('event.') && s.attributes.event_type
          ? ` (${String(s.attributes.event_type)}${s.attributes.backup_stage ? `, ${String(s.attributes.backup_stage)}` : ''}${s.attributes.failed_reason ? `, ${String(s.attributes.failed_reason)}` : ''})`
          : '';
        process.stdout.write(`${String(s.attributes.friendly_name).padEnd(40)} ${s.state}${extra}\n`);
      }
      const db = await core.status.recorderDatabase();
      process.stdout.write(`${'Recorder database in the next backup'.padEnd(40)} ${recorderLine(db)}\n`);
    });

  const retention = program.command('retention').description('which automatic backups are kept');
  retention
    .command('preview')
    .description('show what retention would delete now, and why — deleting nothing')
    .option('--json', 'print the plan as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const core = await openCore(cmd);
      const plan = await core.retention.preview('both');
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(plan, null, 2)}\n`);
        return;
      }
      process.stdout.write(`Rule: ${core.retention.describe()}\n`);
      if (plan.deletions.length === 0) process.stdout.write('Nothing would be deleted.\n');
      for (const d of plan.deletions) process.stdout.write(`delete ${d.backupId} (${d.date}) from ${d.agentIds.join(', ')}: ${d.reason}\n`);
      for (const k of plan.kept) process.stdout.write(`keep   ${k.backupId} (${k.date}): ${k.reason}\n`);
      if (plan.ignored.length) process.stdout.write(`${plan.ignored.length} manual, uploaded or foreign backup(s) are never deleted by retention.\n`);
    });

  program
    .command('notify')
    .description('notifications')
    .command('test')
    .description('send a test notification to the configured webhook and ntfy topic')
    .action(async (_opts: unknown, cmd: Command) => {
      const core = await openCore(cmd);
      if (!core.notifications.configured) throw new UsageError('No notification channel is configured (notifications.webhook_url / ntfy_url)');
      const results = await core.notifications.test();
      for (const r of results) process.stdout.write(`${r.channel}: ${r.ok ? 'delivered' : `failed (${r.error})`}\n`);
      if (results.some((r) => !r.ok)) throw new Error('A notification could not be delivered');
    });
}

/** The recorder database line of `status`: which database the next backup includes, and why. */
function recorderLine(db: RecorderDatabaseInfo): string {
  if (db.kind === 'unknown') return `unknown (${db.error ?? 'the configuration could not be read'}); a SQLite database in the installation is included`;
  const from = db.source && db.source !== 'default' ? ` (from ${db.source})` : '';
  if (db.kind === 'off') return `none: ${db.description}${from} is left out by the settings (recorder_database: off)`;
  return `${db.description}${from}`;
}
