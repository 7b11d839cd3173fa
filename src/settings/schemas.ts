// The settings of automatic backups, as zod schemas (the one source of their types): Home
// Assistant's backup config (§5 of the behaviour reference) plus Lifeboat's additions. Secrets
// (the encryption key, credentials) are never part of these; they live in the secrets file.

import { z } from 'zod';
import { parseCron } from '../policy/cron.js';
import { assertTimeZone } from '../policy/zoned-time.js';
import { LocationConfigSchema } from '../agents/location-config.js';
import { REDACTED } from '../util/redacted.js';

export { LocationConfigSchema, type LocationConfig } from '../agents/location-config.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const WeekdaySchema = z.enum(WEEKDAYS);

const count = z.number().int().min(1).nullable();
export const RetentionSchema = z.object({ copies: count, days: count });
export type Retention = z.infer<typeof RetentionSchema>;
/** A retention as `backup/config/update` takes it: a key not given is null (no limit of that kind). */
const RetentionUpdateSchema = z.strictObject({ copies: count.optional(), days: count.optional() });

export const AgentSettingsSchema = z.object({
  protected: z.boolean(),
  retention: RetentionSchema.nullable(),
});
export type AgentSettings = z.infer<typeof AgentSettingsSchema>;

export const TIME_RE = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;

export const ScheduleSchema = z.object({
  recurrence: z.enum(['never', 'daily', 'custom_days']),
  days: z.array(WeekdaySchema),
  time: z.string().regex(TIME_RE, 'time must be HH:MM or HH:MM:SS').nullable(),
  /** Lifeboat: a 5-field cron expression that replaces the daily / weekday pattern. */
  cron: z.string().nullable().default(null),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

export const GenerationalSchema = z.object({
  daily: z.number().int().min(0),
  weekly: z.number().int().min(0),
  monthly: z.number().int().min(0),
  yearly: z.number().int().min(0),
});
export type Generational = z.infer<typeof GenerationalSchema>;

export const CreateBackupSettingsSchema = z.object({
  agent_ids: z.array(z.string()),
  include_addons: z.array(z.string()).nullable(),
  include_all_addons: z.boolean(),
  include_database: z.boolean(),
  include_folders: z.array(z.string()).nullable(),
  name: z.string().nullable(),
  /** Lifeboat: automatic backups are encrypted with the stored key (Home Assistant: a password is set). */
  encrypted: z.boolean(),
});

export const NotificationSettingsSchema = z.object({
  webhook_url: z.string().url().nullable(),
  /** ntfy topic URL, e.g. https://ntfy.sh/my-backups */
  ntfy_url: z.string().url().nullable(),
  /** Notify when a location has failed this many backups in a row. */
  failing_location_after: z.number().int().min(1),
  /** Notify when no automatic backup has succeeded for this many days (null: never). */
  no_success_days: z.number().int().min(1).nullable(),
});
export type NotificationSettings = z.infer<typeof NotificationSettingsSchema>;
const KeptOrUrl = z.union([z.literal(REDACTED), z.string().url()]).nullable();

/** Lifeboat: publishing the Backup entities to Home Assistant over MQTT (the password is a secret). */
export const MqttSettingsSchema = z.object({
  enabled: z.boolean(),
  /** mqtt://, mqtts://, ws:// or wss:// URL of the broker, without credentials. */
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^/@\s]+(\/\S*)?$/, 'url must be mqtt://host[:port] (or mqtts, ws, wss) without credentials').nullable(),
  username: z.string().nullable(),
  discovery_prefix: z.string().regex(/^[^#+\s]+$/, 'discovery_prefix must be a topic without wildcards'),
  /** Lifeboat's own topics start with `<base_topic>/<node_id>/`. */
  base_topic: z.string().regex(/^[^#+\s]+$/, 'base_topic must be a topic without wildcards'),
  /** Tells several Lifeboats on one broker apart; null: from the installation's instance id. */
  node_id: z.string().regex(/^[A-Za-z0-9_-]+$/, 'node_id may hold letters, digits, _ and -').nullable(),
  tls: z.object({
    ca_file: z.string().nullable(),
    cert_file: z.string().nullable(),
    key_file: z.string().nullable(),
    /** Accept any server certificate (self-signed brokers); the connection stays encrypted. */
    insecure: z.boolean(),
  }),
  /** The web UI address shown on the device page in Home Assistant; null: the address `serve` listens on. */
  configuration_url: z.string().url().nullable(),
});
export type MqttSettings = z.infer<typeof MqttSettingsSchema>;

export function defaultMqttSettings(): MqttSettings {
  return {
    enabled: false,
    url: null,
    username: null,
    discovery_prefix: 'homeassistant',
    base_topic: 'lifeboat',
    node_id: null,
    tls: { ca_file: null, cert_file: null, key_file: null, insecure: false },
    configuration_url: null,
  };
}

/**
 * Lifeboat: a name `lifeboat serve` answers to besides the loopback names and its listen address
 * (a LAN name, a reverse proxy's name); a host name or an IP address, without scheme or port.
 */
export const AllowedHostSchema = z
  .string()
  .regex(
    /^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$|^\[?[0-9A-Fa-f:.]+\]?$/,
    'allowed_hosts entries are host names or IP addresses, without scheme or port (e.g. lifeboat.lan)',
  );

export const RecorderDatabaseModeSchema = z.enum(['auto', 'off', 'custom']);

export const BackupConfigSchema = z.object({
  agents: z.record(z.string(), AgentSettingsSchema),
  automatic_backups_configured: z.boolean(),
  create_backup: CreateBackupSettingsSchema,
  last_attempted_automatic_backup: z.string().nullable(),
  last_completed_automatic_backup: z.string().nullable(),
  /** The id of that backup (Home Assistant reports it next to the time). */
  last_completed_automatic_backup_id: z.string().nullable(),
  retention: RetentionSchema,
  schedule: ScheduleSchema,
  /** Lifeboat: keep N daily / weekly / monthly / yearly automatic backups instead of copies/days. */
  generational: GenerationalSchema.nullable(),
  /** Lifeboat: IANA time zone for schedules and backup dates (null: the machine's). */
  time_zone: z.string().nullable(),
  /** Lifeboat: extra root-anchored globs left out of every backup. */
  excludes: z.array(z.string()),
  notifications: NotificationSettingsSchema,
  mqtt: MqttSettingsSchema,
  /** Lifeboat: backup locations beyond the local folder. */
  locations: z.array(LocationConfigSchema).refine((l) => new Set(l.map((x) => x.id)).size === l.length, 'location ids must be unique'),
  /** Lifeboat: names the server answers to besides loopback and its listen address (DNS rebinding protection). */
  allowed_hosts: z.array(AllowedHostSchema),
  /**
   * Lifeboat: a recorder database in a server (MariaDB/MySQL, PostgreSQL) — `auto` dumps the one
   * Home Assistant's configuration names, `off` leaves it out, `custom` uses the address saved in
   * the secrets file (`lifeboat settings recorder-url`).
   */
  recorder_database: RecorderDatabaseModeSchema,
});
export type BackupConfig = z.infer<typeof BackupConfigSchema>;

export function defaultConfig(): BackupConfig {
  return {
    agents: {},
    automatic_backups_configured: false,
    create_backup: {
      agent_ids: [],
      include_addons: null,
      include_all_addons: false,
      include_database: true,
      include_folders: null,
      name: null,
      encrypted: false,
    },
    last_attempted_automatic_backup: null,
    last_completed_automatic_backup: null,
    last_completed_automatic_backup_id: null,
    retention: { copies: null, days: null },
    schedule: { recurrence: 'never', days: [], time: null, cron: null },
    generational: null,
    time_zone: null,
    excludes: [],
    notifications: { webhook_url: null, ntfy_url: null, failing_location_after: 3, no_success_days: null },
    mqtt: defaultMqttSettings(),
    locations: [],
    allowed_hosts: [],
    recorder_database: 'auto',
  };
}

const unique = <T extends z.ZodTypeAny>(item: T) =>
  z.array(item).refine((a) => new Set(a).size === a.length, { message: 'entries must be unique' });

/** The `backup/config/update` payload (Home Assistant's, plus Lifeboat's keys). */
/** A cron expression that parses, so a saved schedule never stops the scheduler. */
const CronUpdateSchema = z.string().superRefine((text, ctx) => {
  const parsed = parseCron(text);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `cron "${text}": ${parsed.error}` });
});

/** An IANA time zone this system knows (e.g. Europe/Berlin). */
const TimeZoneUpdateSchema = z.string().superRefine((zone, ctx) => {
  try {
    assertTimeZone(zone);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

export const ConfigUpdateSchema = z
  .object({
    agents: z.record(z.string(), z.strictObject({ protected: z.boolean().optional(), retention: RetentionUpdateSchema.nullable().optional() })),
    automatic_backups_configured: z.boolean(),
    create_backup: z
      .object({
        agent_ids: unique(z.string()),
        include_addons: z.array(z.string()).nullable(),
        include_all_addons: z.boolean(),
        include_database: z.boolean(),
        include_folders: z.array(z.string()).nullable(),
        name: z.string().nullable(),
        /** A string sets the encryption key (and turns encryption on); null turns it off. */
        password: z.string().nullable(),
      })
      .partial()
      .strict(),
    retention: RetentionUpdateSchema,
    schedule: z.strictObject({
      recurrence: z.enum(['never', 'daily', 'custom_days']).optional(),
      days: unique(WeekdaySchema).optional(),
      time: z.string().regex(TIME_RE, 'time must be HH:MM or HH:MM:SS').nullable().optional(),
      cron: CronUpdateSchema.nullable().optional(),
    }),
    generational: GenerationalSchema.strict().nullable(),
    time_zone: TimeZoneUpdateSchema.nullable(),
    excludes: z.array(z.string()),
    // A URL shown as REDACTED (to a client that may not see it) and sent back keeps the saved one.
    notifications: NotificationSettingsSchema.extend({ webhook_url: KeptOrUrl, ntfy_url: KeptOrUrl }).partial().strict(),
    allowed_hosts: z.array(AllowedHostSchema),
    recorder_database: RecorderDatabaseModeSchema,
  })
  .partial()
  .strict();
export type ConfigUpdate = z.infer<typeof ConfigUpdateSchema>;
