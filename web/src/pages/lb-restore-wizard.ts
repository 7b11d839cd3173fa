// The restore wizard: what to restore (configuration, database) and from where; the encryption
// key, checked with backup/can_decrypt_on_download before anything starts and compared with the
// fingerprint the backup needs; a confirmation saying what will be replaced; then the restore with
// live progress, and its result. Opened from the Files view with chosen paths, it restores only
// those (backup/restore with Lifeboat's `lifeboat_paths`), and says so at every step.

import { LitElement, css, html, nothing } from 'lit';
import type { CommandError } from '../api/connection.js';
import type { Backup } from '../api/types.js';
import { isProtected, neededFingerprint, preferredAgent } from '../backup-facts.js';
import { keyFingerprint } from '../key-fingerprint.js';
import { href } from '../components/route.js';
import { formatWhen } from '../format.js';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';
import { keyField, keyFieldStyles } from '../components/key-field.js';
import { renderStepper, stepperStyles } from '../components/stepper.js';

type Outcome = { ok: true } | { ok: false; message: string };

export class LbRestoreWizard extends LitElement {
  static override properties = {
    store: { attribute: false },
    backupId: {},
    paths: { attribute: false },
    step: { state: true },
    restoreConfig: { state: true },
    restoreDb: { state: true },
    agentId: { state: true },
    key: { state: true },
    keyError: { state: true },
    checking: { state: true },
    typedFingerprint: { state: true },
    confirmed: { state: true },
    trustUnencrypted: { state: true },
    outcome: { state: true },
  };

  declare store: BackupStore;
  declare backupId: string;
  /** Installation-relative files and folders to restore; empty: everything chosen below. */
  declare paths: string[];
  declare step: number;
  declare restoreConfig: boolean;
  declare restoreDb: boolean;
  declare agentId: string;
  declare key: string;
  declare keyError: string;
  declare checking: boolean;
  declare typedFingerprint: string | null;
  declare confirmed: boolean;
  declare trustUnencrypted: boolean;
  declare outcome: Outcome | null;
  private readonly storeController = new StoreController(this, () => this.store);

  constructor() {
    super();
    this.backupId = '';
    this.paths = [];
    this.step = 0;
    this.restoreConfig = true;
    this.restoreDb = true;
    this.agentId = '';
    this.key = '';
    this.keyError = '';
    this.checking = false;
    this.typedFingerprint = null;
    this.confirmed = false;
    this.trustUnencrypted = false;
    this.outcome = null;
  }

  static override styles = [
    base,
    stepperStyles,
    keyFieldStyles,
    css`
      .back {
        display: inline-block;
        margin-bottom: 0.75rem;
      }
      .saved {
        margin-bottom: 1rem;
      }
      ul.replaces li {
        margin-bottom: 0.35rem;
        overflow-wrap: anywhere;
      }
    `,
  ];

  private get backup(): Backup | null {
    return this.store?.info?.backups.find((b) => b.backup_id === this.backupId) ?? null;
  }

  private get agent(): string {
    const b = this.backup;
    return b && this.agentId && b.agents[this.agentId] ? this.agentId : b ? preferredAgent(b) : '';
  }

  private get encrypted(): boolean {
    const b = this.backup;
    return !!b && isProtected(b, this.agent);
  }

  /** An unencrypted copy on another location while backups are encrypted: it could have been swapped. */
  private get unencryptedRemote(): boolean {
    return !!this.backup && !this.encrypted && this.agent !== 'backup.local' && !!this.store.config?.lifeboat.key_fingerprint;
  }

  private go(step: number): void {
    this.step = step;
    void this.updateComplete.then(() => (this.renderRoot.querySelector('h2') as HTMLElement | null)?.focus());
  }

  private async useSavedKey(): Promise<void> {
    const { key } = await this.store.connection.command<{ key: string | null }>('lifeboat/key/show');
    if (key) await this.setKey(key);
  }

  private async setKey(key: string): Promise<void> {
    this.key = key;
    this.keyError = '';
    this.typedFingerprint = key.trim() ? await keyFingerprint(key.trim()) : null;
  }

  /** The key is checked before anything starts: a wrong key changes nothing. */
  private async checkKey(): Promise<void> {
    this.checking = true;
    this.keyError = '';
    try {
      await this.store.connection.command('backup/can_decrypt_on_download', { backup_id: this.backupId, agent_id: this.agent, password: this.key.trim() });
      this.go(2);
    } catch (err) {
      const e = err as CommandError;
      if (e.code === 'decrypt_not_supported') this.go(2);
      else this.keyError = e.code === 'password_incorrect' ? S.restore.wrongKey : S.restore.checkFailed(e.message);
    } finally {
      this.checking = false;
    }
  }

  private async restore(): Promise<void> {
    this.go(3);
    this.outcome = null;
    try {
      await this.store.connection.command('backup/restore', {
        backup_id: this.backupId,
        agent_id: this.agent,
        password: this.encrypted ? this.key.trim() : null,
        ...(this.paths.length
          ? { restore_homeassistant: true, restore_database: false, lifeboat_paths: this.paths }
          : { restore_homeassistant: this.restoreConfig, restore_database: this.restoreDb }),
        ...(this.unencryptedRemote && this.trustUnencrypted ? { lifeboat_allow_unencrypted: true } : {}),
      });
      this.outcome = { ok: true };
    } catch (err) {
      let { code, message } = err as CommandError;
      if (code === 'not_connected') {
        // The connection dropped (through Home Assistant's ingress, while Home Assistant is stopped for the swap): the end is read once it is back.
        const end = await this.store.restoreEnd();
        if (end.ok) this.outcome = { ok: true };
        code = end.reason ?? 'unknown_error';
        message = end.reason ?? '';
      }
      if (!this.outcome) {
        const reason = S.reasons[code] ?? message;
        this.outcome = { ok: false, message: reason.charAt(0).toUpperCase() + reason.slice(1) };
      }
    }
    await this.store.refreshInfo().catch(() => undefined);
  }

  private renderPaths() {
    return html`<p>${S.restore.chosenPaths}</p>
      <ul class="replaces" data-testid="chosen-paths">
        ${this.paths.map((p) => html`<li><code>${p}</code></li>`)}
      </ul>
      <p class="muted">${S.restore.chosenHint}</p>
      <div class="saved"><button class="link" @click=${() => (location.hash = href.restore(this.backupId))}>${S.restore.allInstead}</button></div>`;
  }

  private renderWhat(b: Backup) {
    const agents = Object.keys(b.agents);
    const none = !this.paths.length && !this.restoreConfig && !this.restoreDb;
    return html`<h2 tabindex="-1">${S.restore.what}</h2>
      ${this.paths.length
        ? this.renderPaths()
        : html`<fieldset>
        <legend class="sr-only">${S.restore.what}</legend>
        <label class="check">
          <input type="checkbox" name="config" .checked=${this.restoreConfig} @change=${(e: Event) => (this.restoreConfig = (e.target as HTMLInputElement).checked)} />
          <span>${S.restore.configuration}<br /><span class="hint">${S.restore.configurationHint}</span></span>
        </label>
        <label class="check">
          <input
            type="checkbox"
            name="database"
            .checked=${this.restoreDb && b.database_included}
            ?disabled=${!b.database_included}
            @change=${(e: Event) => (this.restoreDb = (e.target as HTMLInputElement).checked)}
          />
          <span>${S.restore.database}<br /><span class="hint">${b.database_included ? S.restore.databaseHint : S.restore.databaseMissing}</span></span>
        </label>
      </fieldset>`}
      ${agents.length > 1
        ? html`<div class="field">
            <label for="agent">${S.restore.from}</label>
            <select id="agent" @change=${(e: Event) => (this.agentId = (e.target as HTMLSelectElement).value)}>
              ${agents.map((id) => html`<option value=${id} ?selected=${id === this.agent}>${this.store.agentName(id)}</option>`)}
            </select>
          </div>`
        : nothing}
      ${none ? html`<p class="error-text" role="alert">${S.restore.nothing}</p>` : nothing}
      <div class="actions">
        <button @click=${() => (location.hash = href.details(b.backup_id))}>${S.app.cancel}</button>
        <button class="primary" ?disabled=${none} @click=${() => this.go(this.encrypted ? 1 : 2)}>${S.app.next}</button>
      </div>`;
  }

  private renderKey(b: Backup) {
    const needed = neededFingerprint(b);
    const saved = this.store.config?.lifeboat.key_fingerprint ?? null;
    return html`<h2 tabindex="-1">${S.restore.key}</h2>
      <p>${needed ? S.restore.keyIntro(needed) : S.restore.keyIntroUnknown}</p>
      ${saved && needed ? html`<p class="muted">${saved === needed ? S.restore.savedFits(saved) : S.restore.savedDiffers(saved)}</p>` : nothing}
      <form
        @submit=${(e: Event) => {
          e.preventDefault();
          void this.checkKey();
        }}
        novalidate
      >
        ${keyField({ value: this.key, fingerprint: this.typedFingerprint, needed, error: this.keyError, onInput: (value) => void this.setKey(value) })}
        ${saved ? html`<div class="saved"><button type="button" @click=${() => void this.useSavedKey()}>${S.restore.useSaved}</button></div>` : nothing}
        ${this.checking ? html`<p role="status">${S.restore.checking}</p>` : nothing}
        <div class="actions">
          <button type="button" @click=${() => this.go(0)}>${S.app.back}</button>
          <button class="primary" type="submit" ?disabled=${!this.key.trim() || this.checking}>${S.app.next}</button>
        </div>
      </form>`;
  }

  private renderConfirm(b: Backup) {
    return html`<h2 tabindex="-1">${S.restore.confirmTitle}</h2>
      <p>${S.restore.when(formatWhen(b.date))}</p>
      <p>${S.restore.replaces}</p>
      <ul class="replaces" data-testid="replaces">
        ${this.paths.length
          ? html`<li>${S.restore.replacesPaths(this.paths.length)}: ${this.paths.join(', ')}</li>`
          : html`${this.restoreConfig ? html`<li>${S.restore.replacesConfiguration}</li>` : nothing}
            ${this.restoreDb && b.database_included ? html`<li>${S.restore.replacesDatabase}</li>` : nothing}`}
      </ul>
      <p class="muted">${S.restore.keeps}</p>
      <div class="banner warning">${S.restore.stopHa}</div>
      ${this.unencryptedRemote
        ? html`<div class="banner warning" data-testid="unencrypted-remote">${S.restore.unencryptedRemote(this.store.agentName(this.agent))}</div>
            <label class="check">
              <input type="checkbox" name="trust" .checked=${this.trustUnencrypted} @change=${(e: Event) => (this.trustUnencrypted = (e.target as HTMLInputElement).checked)} />
              <span>${S.restore.trustUnencrypted}</span>
            </label>`
        : nothing}
      <label class="check">
        <input type="checkbox" name="understand" .checked=${this.confirmed} @change=${(e: Event) => (this.confirmed = (e.target as HTMLInputElement).checked)} />
        <span>${S.restore.understand}</span>
      </label>
      <div class="actions">
        <button @click=${() => this.go(this.encrypted ? 1 : 0)}>${S.app.back}</button>
        <button class="danger" ?disabled=${!this.confirmed || (this.unencryptedRemote && !this.trustUnencrypted)} @click=${() => void this.restore()}>${S.restore.start}</button>
      </div>`;
  }

  private renderRun(b: Backup) {
    const o = this.outcome;
    return html`<h2 tabindex="-1">${o ? (o.ok ? S.restore.success : S.restore.failure) : S.restore.running}</h2>
      ${o
        ? html`<div class="banner ${o.ok ? 'success' : 'error'}" role="alert" data-testid="restore-result" data-ok=${String(o.ok)}>
            ${o.ok ? S.restore.successBody : S.restore.failureBody(o.message)}
          </div>`
        : nothing}
      <lb-job-progress embedded .store=${this.store}></lb-job-progress>
      ${o ? html`<div class="actions"><button class="primary" @click=${() => (location.hash = href.details(b.backup_id))}>${S.restore.done}</button></div>` : nothing}`;
  }

  override render() {
    const b = this.backup;
    if (!b) return html`<p role="status">${this.store?.info ? S.details.notFound : S.app.loading}</p>`;
    const labels = S.restore.steps;
    const visible = this.encrypted ? [0, 1, 2, 3] : [0, 2, 3];
    const body = [this.renderWhat, this.renderKey, this.renderConfirm, this.renderRun][this.step]?.call(this, b);
    return html`<a class="back" href=${href.details(b.backup_id)}>← ${b.name}</a>
      <h1 tabindex="-1">${S.restore.title(b.name)}</h1>
      ${renderStepper(
        visible.map((i) => labels[i] as string),
        this.outcome?.ok ? visible.length : visible.indexOf(this.step),
      )}
      <section class="card">${body}</section>`;
  }
}

customElements.define('lb-restore-wizard', LbRestoreWizard);
