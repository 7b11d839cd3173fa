// The overview: a banner when the last automatic backup failed (with its reason), the manager's
// state, last successful / last attempted / next automatic backup, "Back up now" with the live
// progress of the current job, the locations with their health, and the most recent backups.

import { LitElement, css, html, nothing } from 'lit';
import type { Backup, BackupInfo } from '../api/types.js';
import { backupSize, backupType } from '../backup-facts.js';
import type { LbBackupNow } from '../components/lb-backup-now.js';
import { href } from '../components/route.js';
import { formatBytes, formatDate, formatWhen } from '../format.js';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

const EVENT_ENTITY = 'event.backup_automatic_backup';

/** The failure of the last automatic backup, if the last attempt came after the last success. */
export function automaticFailure(store: BackupStore): { at: string; reason: string | null } | null {
  const info = store.info as BackupInfo;
  const attempted = info.last_attempted_automatic_backup;
  if (!attempted || info.state === 'create_backup') return null;
  const completed = info.last_completed_automatic_backup;
  if (completed && Date.parse(completed) >= Date.parse(attempted)) return null;
  const event = store.entity(EVENT_ENTITY);
  if (event?.attributes.event_type === 'failed') return { at: attempted, reason: (event.attributes.failed_reason as string | null) ?? null };
  const last = info.last_action_event;
  return { at: attempted, reason: last && 'reason' in last && last.state === 'failed' ? last.reason : null };
}

export class LbOverview extends LitElement {
  static override properties = { store: { attribute: false } };
  declare store: BackupStore;
  private readonly storeController = new StoreController(this, () => this.store);

  static override styles = [
    base,
    css`
      .grid {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: 0 1.25rem;
      }
      @media (max-width: 800px) {
        .grid {
          grid-template-columns: 1fr;
        }
      }
      .headline {
        display: flex;
        justify-content: space-between;
        align-items: center;
        gap: 1rem;
        flex-wrap: wrap;
        margin-bottom: 1.25rem;
      }
      .headline h1 {
        margin: 0;
      }
      ul.locations,
      ul.recent {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      ul.locations li,
      ul.recent li {
        padding: 0.65rem 0;
        border-top: 1px solid var(--lb-border);
      }
      ul.locations li:last-child,
      ul.recent li:last-child {
        padding-bottom: 0;
      }
      ul.locations li:first-child,
      ul.recent li:first-child {
        border-top: none;
        padding-top: 0;
      }
      .loc-name {
        font-weight: 600;
      }
      .badges {
        display: flex;
        gap: 0.4rem;
        flex-wrap: wrap;
        margin-top: 0.3rem;
      }
      .state {
        font-weight: 600;
      }
    `,
  ];

  private renderFailure() {
    const failure = automaticFailure(this.store);
    if (!failure) return nothing;
    return html`<div class="banner error" role="alert" data-testid="automatic-failed">
      <strong>${S.overview.failedTitle}</strong>
      <p>${S.overview.failedAt(formatWhen(failure.at))} ${S.overview.failedReason(S.reason(failure.reason))}</p>
      <p>${S.overview.failedHelp}</p>
    </div>`;
  }

  private renderStatus(info: BackupInfo) {
    const next = info.next_automatic_backup;
    return html`<section class="card" aria-labelledby="status-title">
      <h2 id="status-title">${S.overview.status}</h2>
      <dl class="facts">
        <dt>${S.overview.manager}</dt>
        <dd class="state" data-testid="manager-state">${S.state[info.state] ?? info.state}</dd>
        <dt>${S.overview.lastSuccess}</dt>
        <dd>${info.last_completed_automatic_backup ? formatWhen(info.last_completed_automatic_backup) : S.overview.never}</dd>
        <dt>${S.overview.lastAttempt}</dt>
        <dd>${info.last_attempted_automatic_backup ? formatWhen(info.last_attempted_automatic_backup) : S.overview.never}</dd>
        <dt>${S.overview.nextRun}</dt>
        <dd data-testid="next-run">
          ${next
            ? html`${formatWhen(next)} ${info.next_automatic_backup_additional ? html`<span class="muted">${S.overview.additional}</span>` : nothing}`
            : html`${S.overview.off}. <a href=${href.settings}>${S.overview.turnOn}</a>`}
        </dd>
      </dl>
    </section>`;
  }

  private renderLocations(info: BackupInfo) {
    const config = this.store.config;
    const newest = info.backups[0];
    return html`<section class="card" aria-labelledby="loc-title">
      <h2 id="loc-title">${S.overview.locations}</h2>
      <ul class="locations">
        ${this.store.agents.map((a) => {
          const error = info.agent_errors[a.agent_id];
          const failedLast = newest?.failed_agent_ids.includes(a.agent_id);
          const held = info.backups.filter((b) => b.agents[a.agent_id]);
          const size = held.reduce((sum, b) => sum + (b.agents[a.agent_id]?.size ?? 0), 0);
          const automatic = config?.create_backup.agent_ids.includes(a.agent_id);
          const encrypted = config?.agents[a.agent_id]?.protected ?? true;
          return html`<li data-agent=${a.agent_id}>
            <div class="spread">
              <span class="loc-name">${a.name}</span>
              ${error || failedLast
                ? html`<span class="badge bad">${error ? S.overview.locationError(error) : S.job.failed(S.reason('upload_failed'))}</span>`
                : html`<span class="badge ok">${S.overview.locationOk}</span>`}
            </div>
            <div class="muted">${S.overview.locationBackups(held.length, formatBytes(size))}</div>
            ${automatic
              ? html`<div class="badges">
                  <span class="badge">${S.overview.locationAutomatic}</span>
                  <span class="badge">${encrypted ? S.overview.locationEncrypted : S.overview.locationPlain}</span>
                </div>`
              : nothing}
          </li>`;
        })}
        ${(config?.create_backup.agent_ids ?? [])
          .filter((id) => !this.store.agents.some((a) => a.agent_id === id))
          .map(
            (id) => html`<li data-agent=${id}>
              <div class="spread">
                <span class="loc-name">${id}</span>
                <span class="badge bad">${S.overview.locationMissing}</span>
              </div>
              <div class="muted">${S.overview.locationMissingHelp}</div>
            </li>`,
          )}
      </ul>
    </section>`;
  }

  private renderRecent(backups: Backup[]) {
    return html`<section class="card" aria-labelledby="recent-title">
      <div class="spread">
        <h2 id="recent-title">${S.overview.recent}</h2>
        <a href=${href.backups}>${S.overview.seeAll}</a>
      </div>
      ${backups.length === 0
        ? html`<p class="muted">${S.overview.noBackups}</p>`
        : html`<ul class="recent">
            ${backups.slice(0, 4).map(
              (b) => html`<li>
                <a href=${href.details(b.backup_id)}>${b.name}</a>
                <div class="muted">${formatDate(b.date)} · ${S.backups.types[backupType(b)]} · ${formatBytes(backupSize(b))}</div>
              </li>`,
            )}
          </ul>`}
    </section>`;
  }

  override render() {
    const info = this.store?.info;
    if (!info) return html`<p role="status">${S.app.loading}</p>`;
    return html`
      <div class="headline">
        <h1 tabindex="-1">${S.overview.title}</h1>
        <button class="primary" ?disabled=${this.store.busy} @click=${() => void (this.renderRoot.querySelector('lb-backup-now') as LbBackupNow).open()}>
          ${S.overview.backUpNow}
        </button>
      </div>
      ${this.renderFailure()}
      <lb-job-progress .store=${this.store}></lb-job-progress>
      <div class="grid">
        <div>${this.renderStatus(info)} ${this.renderLocations(info)}</div>
        <div>${this.renderRecent(info.backups)}</div>
      </div>
      <lb-backup-now .store=${this.store}></lb-backup-now>
    `;
  }
}

customElements.define('lb-overview', LbOverview);
