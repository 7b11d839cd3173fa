// The UI's one view of the server: backup list, locations, settings and entity states loaded over
// the WebSocket, kept current from the event subscriptions (backup/subscribe_events,
// lifeboat/subscribe_progress, state_changed), and the live progress of the current job.
// Components re-render on its `change` event through StoreController.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { CommandError, Connection } from '../api/connection.js';
import { downloadPath, startSignedDownload, type HttpError } from '../api/http.js';
import type { Agent, BackupInfo, EntityState, HaManagerEvent, LifeboatProgressEvent, PublicConfig, StateEvent, UploadProgressEvent } from '../api/types.js';
import { S } from '../strings.js';
import { JobTracker } from './job-tracker.js';
import { LatestAnswer } from './latest-answer.js';

export interface Notice {
  id: number;
  text: string;
  kind: 'info' | 'error';
}

export class BackupStore extends EventTarget {
  info: BackupInfo | null = null;
  agents: Agent[] = [];
  config: PublicConfig | null = null;
  entities = new Map<string, EntityState>();
  readonly job = new JobTracker();
  notices: Notice[] = [];
  private noticeId = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    readonly connection: Connection,
    readonly token: string,
  ) {
    super();
    connection.on('disconnected', () => this.changed());
    // Back after a loss: events may have been missed meanwhile (a failed reload waits for the next one).
    connection.on('ready', () => void this.load().catch(() => this.changed()));
  }

  changed(): void {
    this.dispatchEvent(new Event('change'));
  }

  async start(): Promise<void> {
    await this.load();
    await this.connection.subscribe<HaManagerEvent>('backup/subscribe_events', (e) => this.onManagerEvent(e));
    await this.connection.subscribe<LifeboatProgressEvent>('lifeboat/subscribe_progress', (e) => {
      this.job.onProgress(e);
      this.changed();
    });
    await this.connection.subscribeEvents<{ data: { entity_id: string; new_state: EntityState } }>('state_changed', (e) => {
      this.entities.set(e.data.entity_id, e.data.new_state);
      this.changed();
    });
  }

  async load(): Promise<void> {
    const [info, agents, config, states] = await Promise.all([
      this.connection.command<BackupInfo>('backup/info'),
      this.connection.command<{ agents: Agent[] }>('backup/agents/info'),
      this.connection.command<{ config: PublicConfig }>('backup/config/info'),
      this.connection.command<EntityState[]>('get_states'),
    ]);
    this.info = info;
    this.agents = agents.agents;
    this.config = config.config;
    this.entities = new Map(states.map((s) => [s.entity_id, s]));
    this.changed();
  }

  /**
   * How the restore that was running ended, once the connection is back: through Home Assistant's
   * ingress the connection drops while Home Assistant is stopped for the swap, and the restore
   * goes on without the page. Resolves when the last action is a finished restore.
   */
  async restoreEnd(): Promise<{ ok: boolean; reason: string | null }> {
    for (;;) {
      await new Promise<void>((resolve) => this.addEventListener('change', () => resolve(), { once: true }));
      const e = this.info?.last_action_event;
      if (this.connection.connected && e?.manager_state === 'restore_backup' && 'state' in e && e.state !== 'in_progress') {
        // The job's last events were missed while disconnected: its end comes from here.
        this.job.onState(e);
        this.changed();
        return { ok: e.state === 'completed', reason: 'reason' in e ? (e.reason ?? null) : null };
      }
    }
  }

  private readonly infoAnswer = new LatestAnswer();
  private readonly configAnswer = new LatestAnswer();

  refreshInfo(): Promise<void> {
    return this.infoAnswer.take(
      () => this.connection.command<BackupInfo>('backup/info'),
      (info) => {
        this.info = info;
        this.changed();
      },
    );
  }

  refreshConfig(): Promise<void> {
    return this.configAnswer.take(
      () => this.connection.command<{ config: PublicConfig }>('backup/config/info'),
      ({ config }) => {
        this.config = config;
        this.changed();
      },
    );
  }

  private updates: Promise<unknown> = Promise.resolve();

  /**
   * Applies a backup/config/update and reloads the config, so the new next run shows at once.
   * Updates go one at a time, in the order they were made, so a later change always wins.
   */
  updateConfig(update: Record<string, unknown>): Promise<void> {
    const run = this.updates.catch(() => undefined).then(async () => {
      await this.connection.command('backup/config/update', update);
      await Promise.all([this.refreshConfig(), this.refreshInfo()]);
    });
    this.updates = run;
    return run;
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = null;
      void Promise.all([this.refreshInfo(), this.refreshConfig()]).catch(() => undefined);
    }, 150);
  }

  private onManagerEvent(e: HaManagerEvent): void {
    if ('agent_id' in e) {
      this.job.onUpload(e as UploadProgressEvent);
    } else {
      const event = e as StateEvent;
      this.job.onState(event);
      if (this.info) this.info = { ...this.info, state: event.manager_state, last_action_event: event.manager_state === 'idle' || event.manager_state === 'blocked' ? this.info.last_action_event : event };
      if (event.manager_state === 'idle' || ('state' in event && event.state !== 'in_progress')) this.scheduleRefresh();
    }
    this.changed();
  }

  /**
   * Downloads a backup from a location, as stored or decrypted by the server with its own key; that
   * the key opens it is checked first (lifeboat/can_decrypt_on_download), since a failure would
   * only show as a broken download. The link is signed for one use; no key is in it.
   */
  async download(backupId: string, agentId: string, decrypted: boolean): Promise<void> {
    try {
      if (decrypted) await this.connection.command('lifeboat/can_decrypt_on_download', { backup_id: backupId, agent_id: agentId });
      const { path } = await this.connection.command<{ path: string }>('auth/sign_path', { path: downloadPath(backupId, agentId, decrypted) });
      startSignedDownload(path);
    } catch (err) {
      const e = err as CommandError | HttpError;
      this.notify(e.code === 'password_incorrect' ? S.details.downloadHint : S.app.error(e.message), 'error');
    }
  }

  notify(text: string, kind: Notice['kind'] = 'info'): void {
    const notice = { id: ++this.noticeId, text, kind };
    this.notices = [...this.notices, notice];
    this.changed();
    setTimeout(() => this.dismiss(notice.id), kind === 'error' ? 12_000 : 5_000);
  }

  dismiss(id: number): void {
    this.notices = this.notices.filter((n) => n.id !== id);
    this.changed();
  }

  agentName(agentId: string): string {
    return this.agents.find((a) => a.agent_id === agentId)?.name ?? agentId;
  }

  entity(entityId: string): EntityState | undefined {
    return this.entities.get(entityId);
  }

  get busy(): boolean {
    return (this.info?.state ?? 'idle') !== 'idle';
  }
}

/** Re-renders a Lit element whenever the store changes. */
export class StoreController implements ReactiveController {
  private readonly onChange = () => this.host.requestUpdate();

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly getStore: () => BackupStore | null | undefined,
  ) {
    host.addController(this);
  }

  private current: BackupStore | null = null;

  hostUpdate(): void {
    const store = this.getStore() ?? null;
    if (store === this.current) return;
    this.current?.removeEventListener('change', this.onChange);
    this.current = store;
    store?.addEventListener('change', this.onChange);
  }

  hostConnected(): void {
    this.hostUpdate();
  }

  hostDisconnected(): void {
    this.current?.removeEventListener('change', this.onChange);
    this.current = null;
  }
}
