// The core's public vocabulary for the front ends: the types its use cases take and return, the
// typed event stream, the Backup entities' definitions and the request schemas of Home Assistant's
// API. Front ends import these from here, never from the rooms behind the core.

export type { BackupListing, ManagerBackup } from '../manager/backup-records.js';
export type { CreateResult } from '../manager/create-job.js';
export type { RestoreResult } from '../manager/restore-job.js';
export type { HaControl, HaControlSpec } from '../manager/ha-control.js';
export type { ReceiveResult } from '../manager/receive-job.js';
export type { NextRunInfo } from '../manager/scheduler.js';
export type { VerifyReport, MemberReport } from '../archive/verify.js';
export type { RetentionMode, RetentionPlan } from '../policy/retention.js';
export type { ProbeReport } from '../agents/blob-store.js';
export type { LocationConfig } from '../agents/location-config.js';
export type { EntityState, StateChange } from '../entities/entity-tracker.js';
export type { CoreConfig } from '../source/installation-info.js';
export type { BackupConfig, MqttSettings, NotificationSettings } from '../settings/schemas.js';
export type { SettingsChange } from '../settings/settings-service.js';
export type { TokenInfo } from '../settings/token-store.js';
export type { Clock } from '../util/clock.js';
export type { Logger } from '../util/logger.js';
export type { DeliveryResult, Notification, NotificationKind, Notifier } from './notifier.js';

export {
  MANAGER_STATES,
  isLifeboatProgress,
  isStateEvent,
  isUploadProgress,
  type HaManagerEvent,
  type LifeboatProgressEvent,
  type ManagerEvent,
  type ManagerState,
} from '../manager/events.js';
export {
  BUTTON_DEFINITIONS,
  DEVICE_NAME,
  ENTITY,
  ENTITY_DEFINITIONS,
  EVENT_TYPES,
  friendlyName,
  type ButtonDefinition,
  type EntityDefinition,
} from '../entities/entity-definitions.js';
export { MqttSettingsSchema } from '../settings/schemas.js';
export { HaControlError } from '../manager/ha-control.js';
export { LOCAL_AGENT_ID, isValidAgentId, isValidBackupId } from '../agents/agent.js';
export { DEFAULT_DOCKER_SOCKET, DEFAULT_STOP_TIMEOUT_SECONDS } from '../manager/ha-control-docker.js';
export { nowDate, nowMs, systemClock } from '../util/clock.js';
export { AgentIdSchema, BackupIdSchema, GenerateSchema, RestoreSchema } from './api-schemas.js';
export {
  ArchiveNameSchema,
  BackupPathSchema,
  DiffSchema,
  DiffSideSchema,
  ListSchema,
  LIVE,
  OpenSchema,
  type BackupDiff,
  type BackupFileEntry,
  type DiffRequest,
  type ListRequest,
  type OpenedBackupFile,
  type OpenRequest,
} from './backup-file-schemas.js';
export type { ChangeKind, ChangedPath } from './tree-diff.js';
export { patchText, type FilePatch } from './text-patch.js';
export { MAX_CONTENT_BYTES, type BackupFileContent } from './file-content.js';
