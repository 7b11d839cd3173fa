// The "Back up now" dialog: name, locations, database on or off, and encryption with the saved
// key (fetched with lifeboat/key/show only when the user asks for an encrypted backup). Starts
// backup/generate; the overview then shows the job's progress.

import { LitElement, html, nothing } from 'lit';
import type { CommandError } from '../api/connection.js';
import type { BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbBackupNow extends LitElement {
  static override properties = {
    store: { attribute: false },
    error: { state: true },
    starting: { state: true },
    selected: { state: true },
  };

  declare store: BackupStore;
  declare error: string;
  declare starting: boolean;
  declare selected: string[];

  constructor() {
    super();
    this.error = '';
    this.starting = false;
    this.selected = [];
  }

  static override styles = [base];

  private get dialog(): HTMLDialogElement {
    return this.renderRoot.querySelector('dialog') as HTMLDialogElement;
  }

  /** Opens the dialog with the automatic settings' locations preselected. */
  async open(): Promise<void> {
    const configured = this.store.config?.create_backup.agent_ids ?? [];
    const known = this.store.agents.map((a) => a.agent_id);
    const preset = configured.filter((id) => known.includes(id));
    this.selected = preset.length ? preset : known.slice(0, 1);
    this.error = '';
    await this.updateComplete;
    (this.renderRoot.querySelector('#bn-name') as HTMLInputElement).value = '';
    this.dialog.showModal();
  }

  private toggle(agentId: string, on: boolean): void {
    this.selected = on ? [...this.selected, agentId] : this.selected.filter((id) => id !== agentId);
  }

  private async submit(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    if (this.selected.length === 0) {
      this.error = S.backupNow.noLocation;
      return;
    }
    const form = e.target as HTMLFormElement;
    const value = (name: string) => form.elements.namedItem(name) as HTMLInputElement;
    this.starting = true;
    this.error = '';
    try {
      let password: string | null = null;
      if (value('encrypt').checked) password = (await this.store.connection.command<{ key: string | null }>('lifeboat/key/show')).key;
      await this.store.connection.command('backup/generate', {
        agent_ids: this.selected,
        include_database: value('database').checked,
        name: value('name').value.trim() || null,
        password,
      });
      this.dialog.close();
    } catch (err) {
      this.error = S.app.error((err as CommandError).message);
    } finally {
      this.starting = false;
    }
  }

  override render() {
    const fingerprint = this.store?.config?.lifeboat.key_fingerprint ?? null;
    const encryptedByDefault = this.store?.config?.create_backup.password != null;
    return html`<dialog aria-labelledby="bn-title">
      <form @submit=${this.submit} novalidate>
        <h2 id="bn-title">${S.backupNow.title}</h2>
        <div class="field">
          <label for="bn-name">${S.backupNow.name}</label>
          <input id="bn-name" name="name" type="text" placeholder=${S.backupNow.namePlaceholder} aria-describedby="bn-name-hint" />
          <span class="hint" id="bn-name-hint">${S.backupNow.nameHint}</span>
        </div>
        <fieldset>
          <legend>${S.backupNow.locations}</legend>
          ${(this.store?.agents ?? []).map(
            (a) => html`<label class="check">
              <input
                type="checkbox"
                name="agent"
                value=${a.agent_id}
                .checked=${this.selected.includes(a.agent_id)}
                @change=${(e: Event) => this.toggle(a.agent_id, (e.target as HTMLInputElement).checked)}
              />
              <span>${a.name} <span class="muted">(${a.agent_id})</span></span>
            </label>`,
          )}
        </fieldset>
        <label class="check">
          <input type="checkbox" name="database" checked aria-describedby="bn-db-hint" />
          <span>${S.backupNow.database}<br /><span class="hint" id="bn-db-hint">${S.backupNow.databaseHint}</span></span>
        </label>
        <label class="check">
          <input type="checkbox" name="encrypt" ?disabled=${!fingerprint} ?checked=${!!fingerprint && encryptedByDefault} aria-describedby="bn-enc-hint" />
          <span
            >${S.backupNow.encrypt}<br /><span class="hint" id="bn-enc-hint"
              >${fingerprint ? S.backupNow.encryptHint(fingerprint) : S.backupNow.noKey}</span
            ></span
          >
        </label>
        ${this.error ? html`<div class="banner error" role="alert">${this.error}</div>` : nothing}
        <div class="actions">
          <button type="button" @click=${() => this.dialog.close()}>${S.app.cancel}</button>
          <button class="primary" type="submit" ?disabled=${this.starting}>${this.starting ? S.backupNow.starting : S.backupNow.start}</button>
        </div>
      </form>
    </dialog>`;
  }
}

customElements.define('lb-backup-now', LbBackupNow);
