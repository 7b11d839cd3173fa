// One backup: date, type, Home Assistant version, contents, size per location, encryption and the
// key fingerprint it needs, an integrity check (lifeboat/verify), downloads (as stored, or
// decrypted with the current key after backup/can_decrypt_on_download), restore and delete. Its
// Files view (lb-backup-files.ts) is the other tab.

import { LitElement, css, html, nothing } from 'lit';
import type { CommandError } from '../api/connection.js';
import type { Backup, VerifyReport } from '../api/types.js';
import { backupType, isProtected, neededFingerprint, preferredAgent } from '../backup-facts.js';
import { backupTabs, backupTabsStyles } from '../components/backup-tabs.js';
import { href } from '../components/route.js';
import { formatBytes, formatWhen } from '../format.js';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbBackupDetails extends LitElement {
  static override properties = {
    store: { attribute: false },
    backupId: {},
    fetched: { state: true },
    missing: { state: true },
    agentId: { state: true },
    verify: { state: true },
    verifying: { state: true },
    working: { state: true },
  };

  declare store: BackupStore;
  declare backupId: string;
  declare fetched: Backup | null;
  declare missing: boolean;
  declare agentId: string;
  declare verify: VerifyReport | { error: string } | null;
  declare verifying: boolean;
  declare working: boolean;
  private readonly storeController = new StoreController(this, () => this.store);

  constructor() {
    super();
    this.backupId = '';
    this.fetched = null;
    this.missing = false;
    this.agentId = '';
    this.verify = null;
    this.verifying = false;
    this.working = false;
  }

  static override styles = [
    base,
    backupTabsStyles,
    css`
      .back {
        display: inline-block;
        margin-bottom: 0.75rem;
      }
      .actions {
        justify-content: flex-start;
        margin-top: 0;
      }
      ul.problems {
        margin: 0.25rem 0 0;
      }
    `,
  ];

  /** The backup as the live list knows it, or as fetched with backup/details. */
  private get backup(): Backup | null {
    return this.store?.info?.backups.find((b) => b.backup_id === this.backupId) ?? this.fetched;
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('backupId') && this.store) {
      this.verify = null;
      this.agentId = '';
      void this.store.connection
        .command<{ backup: Backup | null }>('backup/details', { backup_id: this.backupId })
        .then((r) => {
          this.fetched = r.backup;
          this.missing = !r.backup;
        })
        .catch(() => (this.missing = true));
    }
  }

  private get agent(): string {
    const b = this.backup;
    return b && this.agentId && b.agents[this.agentId] ? this.agentId : b ? preferredAgent(b) : '';
  }

  private async runVerify(): Promise<void> {
    this.verifying = true;
    this.verify = null;
    try {
      this.verify = await this.store.connection.command<VerifyReport>('lifeboat/verify', { backup_id: this.backupId, agent_id: this.agent });
    } catch (err) {
      this.verify = { error: (err as CommandError).message };
    } finally {
      this.verifying = false;
    }
  }

  private async download(decrypted: boolean): Promise<void> {
    this.working = true;
    await this.store.download(this.backupId, this.agent, decrypted);
    this.working = false;
  }

  private async deleteBackup(): Promise<void> {
    this.working = true;
    try {
      await this.store.connection.command('backup/delete', { backup_id: this.backupId });
      this.store.notify(S.backups.deleted(1));
      await this.store.refreshInfo();
      location.hash = href.backups;
    } catch (err) {
      this.store.notify(S.app.error((err as CommandError).message), 'error');
    } finally {
      this.working = false;
    }
  }

  private renderIntegrity() {
    const v = this.verify;
    let body;
    if (this.verifying) body = html`<p>${S.details.integrityChecking}</p>`;
    else if (!v) body = html`<p class="muted">${S.details.integrityNotChecked}</p>`;
    else if ('error' in v) body = html`<p class="error-text">${S.app.error(v.error)}</p>`;
    else if (v.ok) {
      const digests = v.members.every((m) => m.digestMatches === true);
      body = html`<p><span class="badge ok">✓</span> ${digests ? S.details.integrityOk(v.members.length) : S.details.integrityOkNoDigest}</p>`;
    } else
      body = html`<div class="banner error">
        <strong>${S.details.integrityBad}</strong>
        <ul class="problems">
          ${v.problems.map((p) => html`<li>${S.reason(p.code)} — ${p.message}</li>`)}
        </ul>
      </div>`;
    return html`<section class="card" aria-labelledby="int-title">
      <h2 id="int-title">${S.details.integrity}</h2>
      <div role="status" aria-live="polite" data-testid="integrity">${body}</div>
      <div class="actions"><button @click=${() => void this.runVerify()} ?disabled=${this.verifying}>${S.details.integrityCheck}</button></div>
    </section>`;
  }

  override render() {
    const b = this.backup;
    if (!b) {
      return html`<a class="back" href=${href.backups}>← ${S.details.back}</a>
        ${this.missing ? html`<h1 tabindex="-1">${S.details.notFound}</h1>` : html`<p role="status">${S.app.loading}</p>`}`;
    }
    const fp = neededFingerprint(b);
    const prot = isProtected(b, this.agent);
    const agents = Object.keys(b.agents);
    return html`<a class="back" href=${href.backups}>← ${S.details.back}</a>
      <h1 tabindex="-1">${b.name}</h1>
      ${backupTabs(b.backup_id, 'summary')}
      <section class="card" aria-labelledby="sum-title">
        <h2 id="sum-title">${S.details.summary}</h2>
        <dl class="facts">
          <dt>${S.details.date}</dt>
          <dd>${formatWhen(b.date)}</dd>
          <dt>${S.details.type}</dt>
          <dd>${S.backups.types[backupType(b)]}</dd>
          <dt>${S.details.version}</dt>
          <dd>${b.homeassistant_version ?? S.format.unknown}</dd>
          <dt>${S.details.contents}</dt>
          <dd>
            ${b.homeassistant_included ? S.details.configuration : nothing}${b.database_included ? html`, ${S.details.database}` : html` (${S.details.noDatabase})`}
          </dd>
          <dt>${S.details.locations}</dt>
          <dd>
            ${agents.map(
              (id) => html`<div>${this.store.agentName(id)}: ${formatBytes(b.agents[id]?.size ?? 0)} · ${b.agents[id]?.protected ? S.backups.encrypted : S.backups.notEncrypted}</div>`,
            )}
            ${b.failed_agent_ids.length ? html`<div class="error-text">${S.details.failedLocations(b.failed_agent_ids.join(', '))}</div>` : nothing}
          </dd>
          <dt>${S.details.encryption}</dt>
          <dd data-testid="encryption">${isProtected(b) ? (fp ? S.details.keyNeeded(fp) : S.details.keyUnknown) : S.details.notEncrypted}</dd>
        </dl>
      </section>
      ${this.renderIntegrity()}
      <section class="card" aria-label=${S.backups.columns.actions}>
        ${agents.length > 1
          ? html`<div class="field">
              <label for="agent">${S.details.downloadFrom}</label>
              <select id="agent" @change=${(e: Event) => (this.agentId = (e.target as HTMLSelectElement).value)}>
                ${agents.map((id) => html`<option value=${id} ?selected=${id === this.agent}>${this.store.agentName(id)}</option>`)}
              </select>
            </div>`
          : nothing}
        <div class="actions">
          <button class="primary" @click=${() => (location.hash = href.restore(b.backup_id))}>${S.details.restore}</button>
          <button ?disabled=${this.working} @click=${() => void this.download(false)}>${S.details.downloadStored}</button>
          ${prot ? html`<button ?disabled=${this.working} @click=${() => void this.download(true)}>${S.details.downloadDecrypted}</button>` : nothing}
          <button class="danger" ?disabled=${this.working} @click=${() => (this.renderRoot.querySelector('#confirm-delete') as HTMLDialogElement).showModal()}>
            ${S.details.delete}
          </button>
        </div>
      </section>
      <dialog id="confirm-delete" aria-labelledby="del-title" aria-describedby="del-body">
        <h2 id="del-title">${S.backups.deleteTitle(1)}</h2>
        <p id="del-body">${S.backups.deleteBody}</p>
        <div class="actions">
          <button @click=${() => (this.renderRoot.querySelector('#confirm-delete') as HTMLDialogElement).close()}>${S.app.cancel}</button>
          <button class="danger" ?disabled=${this.working} @click=${() => void this.deleteBackup()}>${S.backups.deleteConfirm}</button>
        </div>
      </dialog>`;
  }
}

customElements.define('lb-backup-details', LbBackupDetails);
