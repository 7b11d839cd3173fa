// The settings page: automatic backups, the encryption key, notifications and advanced settings,
// each its own card.

import { LitElement, html } from 'lit';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';
import './settings/lb-settings-automatic.js';
import './settings/lb-settings-key.js';
import './settings/lb-settings-notifications.js';
import './settings/lb-settings-advanced.js';

export class LbSettingsPage extends LitElement {
  static override properties = { store: { attribute: false } };
  declare store: BackupStore;
  private readonly storeController = new StoreController(this, () => this.store);

  static override styles = [base];

  override render() {
    if (!this.store?.config) return html`<p role="status">${S.app.loading}</p>`;
    return html`<h1 tabindex="-1">${S.settings.title}</h1>
      <lb-settings-automatic .store=${this.store}></lb-settings-automatic>
      <lb-settings-key .store=${this.store}></lb-settings-key>
      <lb-settings-notifications .store=${this.store}></lb-settings-notifications>
      <lb-settings-advanced .store=${this.store}></lb-settings-advanced>`;
  }
}

customElements.define('lb-settings-page', LbSettingsPage);
