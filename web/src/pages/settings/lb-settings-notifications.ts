// Notification settings: webhook and ntfy targets and when to notify, saved with a button, and
// "Send a test" (lifeboat/notifications/test) with each target's result.

import { LitElement, css, html, nothing } from 'lit';
import type { CommandError } from '../../api/connection.js';
import { StoreController, type BackupStore } from '../../state/backup-store.js';
import { S } from '../../strings.js';
import { base } from '../../styles.js';
import { saveStatusStyles, SaveStatus } from './save-status.js';

interface Delivery {
  channel: string;
  ok: boolean;
  error?: string;
}

const isUrl = (v: string) => /^https?:\/\/\S+$/i.test(v);

export class LbSettingsNotifications extends LitElement {
  static override properties = { store: { attribute: false }, invalid: { state: true }, results: { state: true }, testing: { state: true } };
  declare store: BackupStore;
  declare invalid: string[];
  declare results: Delivery[] | null;
  declare testing: boolean;
  private readonly storeController = new StoreController(this, () => this.store);
  private readonly status = new SaveStatus(this);

  constructor() {
    super();
    this.invalid = [];
    this.results = null;
    this.testing = false;
  }

  static override styles = [
    base,
    saveStatusStyles,
    css`
      input[type='url'] {
        width: 100%;
      }
      ul.results {
        margin: 0.75rem 0 0;
        padding-left: 1.25rem;
      }
    `,
  ];

  private async save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const val = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const invalid = ['webhook', 'ntfy'].filter((n) => val(n) && !isUrl(val(n)));
    this.invalid = invalid;
    if (invalid.length) return;
    const failing = Number(val('failing'));
    const stale = val('stale');
    await this.status.run(() =>
      this.store.updateConfig({
        notifications: {
          webhook_url: val('webhook') || null,
          ntfy_url: val('ntfy') || null,
          failing_location_after: Number.isInteger(failing) && failing >= 1 ? failing : 3,
          no_success_days: stale && Number(stale) >= 1 ? Math.floor(Number(stale)) : null,
        },
      }),
    );
  }

  private async test(): Promise<void> {
    this.testing = true;
    this.results = null;
    try {
      this.results = (await this.store.connection.command<{ results: Delivery[] }>('lifeboat/notifications/test')).results;
    } catch (err) {
      this.results = [{ channel: '', ok: false, error: (err as CommandError).message }];
    } finally {
      this.testing = false;
    }
  }

  private urlField(name: string, label: string, hint: string, value: string | null) {
    const bad = this.invalid.includes(name);
    return html`<div class="field">
      <label for=${name}>${label}</label>
      <input id=${name} name=${name} type="url" inputmode="url" .value=${value ?? ''} aria-describedby="${name}-hint" aria-invalid=${bad ? 'true' : 'false'} />
      <span class="hint ${bad ? 'error-text' : ''}" id="${name}-hint">${bad ? S.settings.invalidUrl : hint}</span>
    </div>`;
  }

  override render() {
    const n = this.store?.config?.notifications;
    if (!n) return nothing;
    return html`<section class="card" aria-labelledby="notif-title">
      <div class="spread">
        <h2 id="notif-title">${S.settings.notifications}</h2>
        ${this.status.render()}
      </div>
      <p class="muted">${S.settings.notificationsIntro}</p>
      <form @submit=${this.save} novalidate>
        ${this.urlField('webhook', S.settings.webhook, S.settings.webhookHint, n.webhook_url)}
        ${this.urlField('ntfy', S.settings.ntfy, S.settings.ntfyHint, n.ntfy_url)}
        <div class="field">
          <label for="failing">${S.settings.failingAfter}</label>
          <input id="failing" name="failing" type="number" min="1" .value=${String(n.failing_location_after)} />
        </div>
        <div class="field">
          <label for="stale">${S.settings.noSuccessDays}</label>
          <input id="stale" name="stale" type="number" min="1" .value=${n.no_success_days === null ? '' : String(n.no_success_days)} aria-describedby="stale-hint" />
          <span class="hint" id="stale-hint">${S.settings.noSuccessHint}</span>
        </div>
        <div class="actions">
          <button type="button" ?disabled=${this.testing} @click=${() => void this.test()}>${this.testing ? S.settings.testing : S.settings.test}</button>
          <button class="primary" type="submit">${S.settings.save}</button>
        </div>
      </form>
      <div role="status" aria-live="polite" data-testid="test-results">
        ${this.results
          ? this.results.length === 0
            ? html`<p class="muted">${S.settings.testNone}</p>`
            : html`<ul class="results">
                ${this.results.map((r) => html`<li class=${r.ok ? '' : 'error-text'}>${r.ok ? S.settings.testOk(r.channel) : S.settings.testFailed(r.channel, r.error ?? '')}</li>`)}
              </ul>`
          : nothing}
      </div>
    </section>`;
  }
}

customElements.define('lb-settings-notifications', LbSettingsNotifications);
