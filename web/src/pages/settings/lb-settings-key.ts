// The encryption key: its fingerprint, showing the key itself on request (lifeboat/key/show),
// the emergency kit download (lifeboat/key/emergency_kit), changing it (lifeboat/key/rotate,
// after a confirmation), creating one when there is none, and whether automatic backups use it.

import { LitElement, css, html, nothing } from 'lit';
import type { CommandError } from '../../api/connection.js';
import { saveText } from '../../api/http.js';
import { fileStamp } from '../../format.js';
import { StoreController, type BackupStore } from '../../state/backup-store.js';
import { S } from '../../strings.js';
import { base } from '../../styles.js';
import { saveStatusStyles, SaveStatus } from './save-status.js';

export class LbSettingsKey extends LitElement {
  static override properties = { store: { attribute: false }, shown: { state: true }, copied: { state: true }, working: { state: true } };
  declare store: BackupStore;
  /** The key asked for, with the fingerprint it was shown under: it is shown only while that is the key's. */
  declare shown: { key: string; fingerprint: string } | null;
  declare copied: boolean;
  declare working: boolean;
  private readonly storeController = new StoreController(this, () => this.store);
  private readonly status = new SaveStatus(this);

  constructor() {
    super();
    this.shown = null;
    this.copied = false;
    this.working = false;
  }

  static override styles = [
    base,
    saveStatusStyles,
    css`
      .key {
        font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
        font-size: clamp(0.8rem, 3.5vw, 1.05rem);
        width: min(100%, 26rem);
        padding-left: 0.5rem;
        padding-right: 0.5rem;
      }
      .actions {
        justify-content: flex-start;
      }
      .fp {
        font-weight: 600;
      }
    `,
  ];

  private async run(work: () => Promise<void>): Promise<void> {
    this.working = true;
    try {
      await work();
    } catch (err) {
      this.store.notify(S.app.error((err as CommandError).message), 'error');
    } finally {
      this.working = false;
    }
  }

  /** The key on show, if any: never one that a change of key (here or elsewhere) has replaced. */
  private visibleKey(): string | null {
    const fingerprint = this.store?.config?.lifeboat.key_fingerprint;
    return this.shown !== null && this.shown.fingerprint === fingerprint ? this.shown.key : null;
  }

  private toggleShow(): Promise<void> {
    if (this.visibleKey() !== null) {
      this.shown = null;
      return Promise.resolve();
    }
    return this.run(async () => {
      const fingerprint = this.store.config?.lifeboat.key_fingerprint;
      const { key } = await this.store.connection.command<{ key: string | null }>('lifeboat/key/show');
      // Asked for under this fingerprint: if the key changed meanwhile, it is not shown.
      this.shown = key !== null && fingerprint ? { key, fingerprint } : null;
    });
  }

  private async copy(): Promise<void> {
    const key = this.visibleKey();
    if (key === null) return;
    try {
      await navigator.clipboard.writeText(key);
    } catch {
      (this.renderRoot.querySelector('#key') as HTMLInputElement | null)?.select();
      return;
    }
    this.copied = true;
    setTimeout(() => (this.copied = false), 2500);
  }

  private kit(): Promise<void> {
    return this.run(async () => {
      const { kit } = await this.store.connection.command<{ kit: string | null }>('lifeboat/key/emergency_kit');
      if (kit) saveText(kit, S.settings.kitFile(fileStamp()));
    });
  }

  private rotate(): Promise<void> {
    (this.renderRoot.querySelector('#confirm-rotate') as HTMLDialogElement | null)?.close();
    return this.run(async () => {
      const { fingerprint } = await this.store.connection.command<{ fingerprint: string }>('lifeboat/key/rotate');
      this.shown = null;
      await this.store.refreshConfig();
      this.store.notify(S.settings.rotated(fingerprint));
    });
  }

  private async setEncrypted(on: boolean): Promise<void> {
    await this.status.run(async () => {
      const password = on ? (await this.store.connection.command<{ key: string | null }>('lifeboat/key/show')).key : null;
      await this.store.updateConfig({ create_backup: { password } });
    });
  }

  override render() {
    const c = this.store?.config;
    if (!c) return nothing;
    const fp = c.lifeboat.key_fingerprint;
    const key = this.visibleKey();
    return html`<section class="card" aria-labelledby="key-title">
      <div class="spread">
        <h2 id="key-title">${S.settings.key}</h2>
        ${this.status.render()}
      </div>
      <p>${S.settings.keyIntro}</p>
      ${fp
        ? html`<p data-testid="key-fingerprint" class="fp">${S.settings.keyFingerprint(fp)}</p>
            ${key !== null
              ? html`<div class="field">
                  <label for="key">${S.settings.keyLabel}</label>
                  <div class="row">
                    <input id="key" class="key" type="text" readonly .value=${key} />
                    <button @click=${() => void this.copy()}>${this.copied ? S.settings.keyCopied : S.settings.keyCopy}</button>
                  </div>
                </div>`
              : nothing}
            <label class="check">
              <input type="checkbox" .checked=${c.create_backup.password !== null} @change=${(e: Event) => void this.setEncrypted((e.target as HTMLInputElement).checked)} />
              <span>${S.settings.encryptAutomatic}</span>
            </label>
            <div class="actions">
              <button ?disabled=${this.working} @click=${() => void this.toggleShow()} aria-expanded=${key !== null ? 'true' : 'false'}>
                ${key !== null ? S.settings.keyHide : S.settings.keyShow}
              </button>
              <button ?disabled=${this.working} @click=${() => void this.kit()}>${S.settings.kit}</button>
              <button ?disabled=${this.working} @click=${() => (this.renderRoot.querySelector('#confirm-rotate') as HTMLDialogElement).showModal()}>${S.settings.rotate}</button>
            </div>`
        : html`<p>${S.settings.keyNone}</p>
            <div class="actions"><button class="primary" ?disabled=${this.working} @click=${() => void this.rotate()}>${S.settings.keyCreate}</button></div>`}
      <dialog id="confirm-rotate" aria-labelledby="rot-title" aria-describedby="rot-body">
        <h2 id="rot-title">${S.settings.rotateTitle}</h2>
        <p id="rot-body">${S.settings.rotateBody}</p>
        <div class="actions">
          <button @click=${() => (this.renderRoot.querySelector('#confirm-rotate') as HTMLDialogElement).close()}>${S.app.cancel}</button>
          <button class="primary" @click=${() => void this.rotate()}>${S.settings.rotateConfirm}</button>
        </div>
      </dialog>
    </section>`;
  }
}

customElements.define('lb-settings-key', LbSettingsKey);
