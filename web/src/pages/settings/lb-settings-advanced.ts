// Advanced settings, saved with a button: the time zone schedules are computed in, a cron
// expression that replaces the daily / weekday pattern, and extra files to leave out of backups
// (globs, one per line), and whether a recorder database in a server goes into backups (with what
// the next backup includes). The server checks the cron expression and the zone and says what is wrong.

import { LitElement, css, html, nothing } from 'lit';
import type { PublicConfig } from '../../api/types.js';
import { StoreController, type BackupStore } from '../../state/backup-store.js';
import { S } from '../../strings.js';
import { base } from '../../styles.js';
import { saveStatusStyles, SaveStatus } from './save-status.js';

/** The zones this browser knows, offered as suggestions (any IANA name may be typed). */
const KNOWN_ZONES: readonly string[] = (Intl as unknown as { supportedValuesOf?: (key: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];

export class LbSettingsAdvanced extends LitElement {
  static override properties = { store: { attribute: false } };
  declare store: BackupStore;
  private readonly storeController = new StoreController(this, () => this.store);
  private readonly status = new SaveStatus(this);
  /** Rendered once: the page re-renders on every store change (job progress included). */
  private readonly zoneOptions = KNOWN_ZONES.map((z) => html`<option value=${z}></option>`);

  static override styles = [
    base,
    saveStatusStyles,
    css`
      input[type='text'],
      textarea {
        width: 100%;
      }
      textarea {
        font-family: var(--lb-mono, monospace);
        min-height: 6rem;
      }
    `,
  ];

  private async save(e: SubmitEvent): Promise<void> {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const val = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | HTMLTextAreaElement).value.trim();
    const config = this.store.config as PublicConfig;
    const cron = val('cron') || null;
    const update: Record<string, unknown> = {
      time_zone: val('time-zone') || null,
      excludes: val('excludes')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
      recorder_database: val('recorder-database'),
    };
    if (cron !== (config.schedule.cron ?? null)) {
      // The schedule is replaced whole: keep its other parts.
      update.schedule = { ...config.schedule, cron };
    }
    await this.status.run(() => this.store.updateConfig(update));
  }

  override render() {
    const config = this.store?.config;
    if (!config) return nothing;
    return html`<section class="card" aria-labelledby="advanced-title">
      <div class="spread">
        <h2 id="advanced-title">${S.settings.advanced}</h2>
        ${this.status.render()}
      </div>
      <form @submit=${this.save} novalidate>
        <div class="field">
          <label for="time-zone">${S.settings.timeZoneLabel}</label>
          <input id="time-zone" name="time-zone" type="text" list="zones" autocomplete="off" spellcheck="false"
            .value=${config.time_zone ?? ''} placeholder=${config.lifeboat.time_zone} aria-describedby="time-zone-hint" />
          <datalist id="zones">${this.zoneOptions}</datalist>
          <span class="hint" id="time-zone-hint">${S.settings.timeZoneHint(config.lifeboat.time_zone)}</span>
        </div>
        <div class="field">
          <label for="cron">${S.settings.cronLabel}</label>
          <input id="cron" name="cron" type="text" autocomplete="off" spellcheck="false" .value=${config.schedule.cron ?? ''}
            placeholder="30 3 * * 1-5" aria-describedby="cron-hint" />
          <span class="hint" id="cron-hint">${S.settings.cronHint}</span>
        </div>
        <div class="field">
          <label for="excludes">${S.settings.excludesLabel}</label>
          <textarea id="excludes" name="excludes" spellcheck="false" aria-describedby="excludes-hint" .value=${config.excludes.join('\n')}></textarea>
          <span class="hint" id="excludes-hint">${S.settings.excludesHint}</span>
        </div>
        <div class="field">
          <label for="recorder-database">${S.settings.recorderLabel}</label>
          <select id="recorder-database" name="recorder-database" aria-describedby="recorder-database-hint">
            ${(['auto', 'off', 'custom'] as const).map((m) => html`<option value=${m} ?selected=${config.recorder_database === m}>${S.settings.recorderModes[m]}</option>`)}
          </select>
          <span class="hint" id="recorder-database-hint">${S.settings.recorderNext(recorderText(config.lifeboat.recorder_database))}</span>
        </div>
        <div class="actions">
          <button class="primary" type="submit">${S.settings.saveAdvanced}</button>
        </div>
      </form>
    </section>`;
  }
}

/** What the next backup includes of the recorder database, in words. */
function recorderText(db: PublicConfig['lifeboat']['recorder_database']): string {
  if (db.kind === 'unknown') return `the configuration could not be read (${db.error ?? 'unknown error'}); a SQLite database in the installation is included`;
  const from = db.source && db.source !== 'default' ? ` (from ${db.source})` : '';
  return db.kind === 'off' ? `no server database: ${db.description}${from} is left out` : `${db.description}${from}`;
}

customElements.define('lb-settings-advanced', LbSettingsAdvanced);
