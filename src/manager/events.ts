// The manager's event stream: Home Assistant's event JSON shapes (manager state, create, receive,
// restore, upload progress) plus Lifeboat's own progress events, in one typed union.

export const MANAGER_STATES = ['idle', 'create_backup', 'blocked', 'receive_backup', 'restore_backup'] as const;
export type ManagerState = (typeof MANAGER_STATES)[number];

export type CreateStage =
  | 'addon_repositories'
  | 'addons'
  | 'await_addon_restarts'
  | 'docker_config'
  | 'cleaning_up'
  | 'finishing_file'
  | 'folders'
  | 'home_assistant'
  | 'upload_to_agents';
export type ReceiveStage = 'receive_file' | 'upload_to_agents';
export type OperationState = 'in_progress' | 'completed' | 'failed';
export type RestoreState = 'in_progress' | 'core_restart' | 'completed' | 'failed';

export interface IdleEvent {
  manager_state: 'idle';
}
export interface BlockedEvent {
  manager_state: 'blocked';
}
export interface CreateBackupEvent {
  manager_state: 'create_backup';
  reason: string | null;
  stage: CreateStage | null;
  state: OperationState;
}
export interface ReceiveBackupEvent {
  manager_state: 'receive_backup';
  reason: string | null;
  stage: ReceiveStage | null;
  state: OperationState;
}
export interface RestoreBackupEvent {
  manager_state: 'restore_backup';
  reason: string | null;
  stage: null;
  state: RestoreState;
}
export interface UploadProgressEvent {
  manager_state: ManagerState;
  agent_id: string;
  uploaded_bytes: number;
  total_bytes: number;
}

/** Events Home Assistant's API sends to `backup/subscribe_events` subscribers. */
export type HaManagerEvent =
  | IdleEvent
  | BlockedEvent
  | CreateBackupEvent
  | ReceiveBackupEvent
  | RestoreBackupEvent
  | UploadProgressEvent;

/** Lifeboat's finer progress: what is being done now, bytes done of a known or unknown total. */
export interface LifeboatProgressEvent {
  lifeboat: 'progress';
  manager_state: ManagerState;
  /** e.g. `copy_databases`, `write_archive`, `verify`, `extract`, `swap` */
  step: string;
  done_bytes: number;
  total_bytes: number | null;
  detail?: string;
}

export type ManagerEvent = HaManagerEvent | LifeboatProgressEvent;

export function isLifeboatProgress(e: ManagerEvent): e is LifeboatProgressEvent {
  return (e as LifeboatProgressEvent).lifeboat === 'progress';
}

export function isUploadProgress(e: ManagerEvent): e is UploadProgressEvent {
  return 'agent_id' in e && 'uploaded_bytes' in e;
}

/** State events change `last_event`; progress events never do. */
export function isStateEvent(e: ManagerEvent): e is Exclude<HaManagerEvent, UploadProgressEvent> {
  return !isLifeboatProgress(e) && !isUploadProgress(e);
}

export { EventBus, type Listener } from '../util/event-bus.js';
