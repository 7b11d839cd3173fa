// Uploading a backup file with a progress bar (POST /api/backup/upload, or the onboarding
// endpoint before anyone has signed in). Fires `uploaded` with the new backup's id.

import { LitElement, css, html, nothing } from 'lit';
import { HttpError, uploadBackup, type UploadHandle } from '../api/http.js';
import { LOCAL_AGENT, type Agent } from '../api/types.js';
import { formatBytes } from '../format.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbUpload extends LitElement {
  static override properties = {
    token: { attribute: false },
    agents: { attribute: false },
    targets: { state: true },
    onboarding: { type: Boolean },
    label: {},
    sent: { state: true },
    total: { state: true },
    fileName: { state: true },
    error: { state: true },
  };

  declare token: string | null;
  /** Locations to offer; the upload goes to the local one unless others are chosen. */
  declare agents: Agent[];
  declare targets: string[];
  declare onboarding: boolean;
  declare label: string;
  declare sent: number;
  declare total: number;
  declare fileName: string;
  declare error: string;
  private handle: UploadHandle | null = null;

  constructor() {
    super();
    this.token = null;
    this.agents = [];
    this.targets = [LOCAL_AGENT];
    this.onboarding = false;
    this.label = S.backups.uploadChoose;
    this.sent = 0;
    this.total = 0;
    this.fileName = '';
    this.error = '';
  }

  static override styles = [
    base,
    css`
      input[type='file'] {
        font: inherit;
        max-width: 100%;
      }
      .progress {
        margin-top: 0.75rem;
      }
    `,
  ];

  private async start(e: Event): Promise<void> {
    const input = e.target as HTMLInputElement;
    const file = input.files?.[0];
    if (!file) return;
    this.fileName = file.name;
    this.error = '';
    this.sent = 0;
    this.total = file.size;
    this.handle = uploadBackup(file, {
      token: this.token,
      agentIds: this.targets.length ? this.targets : [LOCAL_AGENT],
      onboarding: this.onboarding,
      onProgress: (sent, total) => {
        this.sent = sent;
        this.total = total;
      },
    });
    try {
      const { backup_id } = await this.handle.done;
      this.dispatchEvent(new CustomEvent('uploaded', { detail: { backupId: backup_id, fileName: file.name }, bubbles: true, composed: true }));
    } catch (err) {
      this.error = S.backups.uploadFailed((err as HttpError).message);
    } finally {
      this.handle = null;
      this.fileName = '';
      input.value = '';
    }
  }

  private renderTargets(busy: boolean) {
    if (this.agents.length < 2) return nothing;
    return html`<fieldset>
      <legend>${S.backups.uploadTo}</legend>
      <div class="row">
        ${this.agents.map(
          (a) => html`<label class="check">
            <input
              type="checkbox"
              ?disabled=${busy}
              .checked=${this.targets.includes(a.agent_id)}
              @change=${(e: Event) =>
                (this.targets = (e.target as HTMLInputElement).checked ? [...this.targets, a.agent_id] : this.targets.filter((id) => id !== a.agent_id))}
            /><span>${a.name}</span>
          </label>`,
        )}
      </div>
    </fieldset>`;
  }

  override render() {
    const busy = this.handle !== null;
    return html`${this.renderTargets(busy)}
      <div class="field">
        <label for="file">${this.label}</label>
        <input id="file" type="file" accept=".tar,application/x-tar" ?disabled=${busy || this.targets.length === 0} @change=${this.start} aria-describedby="upload-hint" />
        <span class="hint" id="upload-hint">${S.backups.uploadHint}</span>
      </div>
      ${busy
        ? html`<div class="progress" role="status">
            <label for="upload-progress">${S.backups.uploading(this.fileName)}: ${S.job.bytes(formatBytes(this.sent), formatBytes(this.total))}</label>
            <progress id="upload-progress" max=${Math.max(this.total, 1)} value=${this.sent}></progress>
            <div class="actions"><button type="button" @click=${() => this.handle?.abort()}>${S.app.cancel}</button></div>
          </div>`
        : nothing}
      ${this.error ? html`<div class="banner error" role="alert">${this.error}</div>` : nothing}`;
  }
}

customElements.define('lb-upload', LbUpload);
