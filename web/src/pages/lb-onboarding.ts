// "Restore from backup" on an empty installation, before any token exists: pick a backup found
// in the local backup folder or upload one, enter its key, restore (the key is checked before
// anything is touched), done. Uses only the onboarding endpoints, which need no token.

import { LitElement, css, html, nothing } from 'lit';
import { HttpError, onboardingInfo, onboardingRestore } from '../api/http.js';
import type { Backup, OnboardingInfo } from '../api/types.js';
import { backupSize, isProtected, neededFingerprint, preferredAgent } from '../backup-facts.js';
import { keyField, keyFieldStyles } from '../components/key-field.js';
import { renderStepper, stepperStyles } from '../components/stepper.js';
import { formatBytes, formatDate } from '../format.js';
import { keyFingerprint } from '../key-fingerprint.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbOnboarding extends LitElement {
  static override properties = {
    info: { attribute: false },
    step: { state: true },
    chosen: { state: true },
    key: { state: true },
    typedFingerprint: { state: true },
    restoreDb: { state: true },
    running: { state: true },
    error: { state: true },
  };

  declare info: OnboardingInfo | null;
  declare step: number;
  declare chosen: string;
  declare key: string;
  declare typedFingerprint: string | null;
  declare restoreDb: boolean;
  declare running: boolean;
  declare error: string;

  constructor() {
    super();
    this.info = null;
    this.step = 0;
    this.chosen = '';
    this.key = '';
    this.typedFingerprint = null;
    this.restoreDb = true;
    this.running = false;
    this.error = '';
  }

  static override styles = [
    base,
    stepperStyles,
    keyFieldStyles,
    css`
      .card {
        max-width: 44rem;
        margin: 0 auto 1.25rem;
      }
      h1 {
        max-width: 44rem;
        margin: 0.5rem auto 0.5rem;
      }
      .intro,
      ol.stepper {
        max-width: 44rem;
        margin-left: auto;
        margin-right: auto;
      }
      .choice {
        border: 1px solid var(--lb-border);
        border-radius: 8px;
        padding: 0.5rem 0.75rem;
        margin-bottom: 0.5rem;
      }
      h2 {
        margin-top: 1.25rem;
      }
      h2:first-child {
        margin-top: 0;
      }
      code {
        background: var(--lb-surface);
        padding: 0.2rem 0.5rem;
        border-radius: 4px;
      }
    `,
  ];

  private get backup(): Backup | null {
    return this.info?.backups.find((b) => b.backup_id === this.chosen) ?? null;
  }

  private go(step: number): void {
    this.step = step;
    void this.updateComplete.then(() => (this.renderRoot.querySelector('.card h2') as HTMLElement | null)?.focus());
  }

  private async uploaded(backupId: string): Promise<void> {
    this.info = (await onboardingInfo()) ?? this.info;
    this.chosen = backupId;
  }

  private next(): void {
    const b = this.backup;
    if (!b) return;
    this.error = '';
    this.go(isProtected(b) ? 1 : 2);
  }

  private async restore(): Promise<void> {
    const b = this.backup as Backup;
    this.running = true;
    this.error = '';
    try {
      await onboardingRestore({
        backup_id: b.backup_id,
        agent_id: preferredAgent(b),
        password: isProtected(b) ? this.key.trim() : null,
        restore_database: this.restoreDb && b.database_included,
      });
      this.go(3);
    } catch (err) {
      const e = err as HttpError;
      if (e.code === 'incorrect_password') {
        this.error = S.onboarding.wrongKey;
        this.go(1);
      } else this.error = S.onboarding.failed(e.message);
    } finally {
      this.running = false;
    }
  }

  private renderChoose() {
    const backups = this.info?.backups ?? [];
    return html`<h2 tabindex="-1">${S.onboarding.found}</h2>
      ${backups.length === 0
        ? html`<p class="muted">${S.onboarding.noneFound}</p>`
        : html`<fieldset>
            <legend class="sr-only">${S.onboarding.found}</legend>
            ${backups.map(
              (b) => html`<label class="check choice">
                <input type="radio" name="backup" value=${b.backup_id} .checked=${this.chosen === b.backup_id} @change=${() => (this.chosen = b.backup_id)} />
                <span
                  ><strong>${b.name}</strong><br /><span class="hint"
                    >${formatDate(b.date)} · ${formatBytes(backupSize(b))} · ${isProtected(b) ? S.backups.encrypted : S.backups.notEncrypted}</span
                  ></span
                >
              </label>`,
            )}
          </fieldset>`}
      <h2>${S.onboarding.or}</h2>
      <lb-upload onboarding @uploaded=${(e: CustomEvent<{ backupId: string }>) => void this.uploaded(e.detail.backupId)}></lb-upload>
      <div class="actions">
        <button class="primary" ?disabled=${!this.backup} @click=${() => this.next()}>${S.onboarding.continue}</button>
      </div>`;
  }

  private renderKey(b: Backup) {
    const needed = neededFingerprint(b);
    return html`<h2 tabindex="-1">${S.restore.key}</h2>
      <p>${needed ? S.restore.keyIntro(needed) : S.restore.keyIntroUnknown}</p>
      ${keyField({
        value: this.key,
        fingerprint: this.typedFingerprint,
        needed,
        error: this.error,
        onInput: async (value) => {
          this.key = value;
          this.error = '';
          this.typedFingerprint = value.trim() ? await keyFingerprint(value.trim()) : null;
        },
      })}
      <div class="actions">
        <button @click=${() => this.go(0)}>${S.app.back}</button>
        <button class="primary" ?disabled=${!this.key.trim()} @click=${() => this.go(2)}>${S.app.next}</button>
      </div>`;
  }

  private renderRestore(b: Backup) {
    return html`<h2 tabindex="-1">${S.onboarding.steps[2]}</h2>
      <p><strong>${b.name}</strong> — ${formatDate(b.date)}</p>
      <label class="check">
        <input type="checkbox" .checked=${this.restoreDb && b.database_included} ?disabled=${!b.database_included} @change=${(e: Event) => (this.restoreDb = (e.target as HTMLInputElement).checked)} />
        <span>${S.onboarding.restoreDatabase}</span>
      </label>
      <p>${S.onboarding.confirm}</p>
      ${this.running ? html`<div role="status"><p>${S.onboarding.running}</p><progress aria-label=${S.onboarding.running}></progress></div>` : nothing}
      ${this.error ? html`<div class="banner error" role="alert">${this.error}</div>` : nothing}
      <div class="actions">
        <button ?disabled=${this.running} @click=${() => this.go(isProtected(b) ? 1 : 0)}>${S.app.back}</button>
        <button class="danger" ?disabled=${this.running} @click=${() => void this.restore()}>${S.onboarding.start}</button>
      </div>`;
  }

  private renderDone() {
    return html`<div class="banner success" role="alert" data-testid="onboarding-done">
        <h2 tabindex="-1">${S.onboarding.doneTitle}</h2>
        <p>${S.onboarding.doneBody}</p>
        <p><code>${S.signIn.tokenCommand}</code></p>
      </div>
      <div class="actions">
        <button class="primary" @click=${() => this.dispatchEvent(new CustomEvent('signin'))}>${S.onboarding.signIn}</button>
      </div>`;
  }

  override render() {
    const b = this.backup;
    const protectedBackup = !!b && isProtected(b);
    const visible = protectedBackup || !b ? [0, 1, 2, 3] : [0, 2, 3];
    let body;
    if (this.step === 0 || !b) body = this.renderChoose();
    else if (this.step === 1) body = this.renderKey(b);
    else if (this.step === 2) body = this.renderRestore(b);
    else body = this.renderDone();
    const done = this.step === 3;
    return html`<h1 tabindex="-1">${S.onboarding.title}</h1>
      ${done ? nothing : html`<p class="intro">${S.onboarding.intro}</p>`}
      ${renderStepper(
        visible.map((i) => S.onboarding.steps[i] as string),
        done ? visible.length : visible.indexOf(this.step),
      )}
      <section class="card">${body}</section>`;
  }
}

customElements.define('lb-onboarding', LbOnboarding);
