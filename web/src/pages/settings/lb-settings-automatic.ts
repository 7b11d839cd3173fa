// Settings of automatic backups, saved as soon as a value changes (backup/config/update, then
// backup/config/info so the new next run shows at once): schedule (never, daily, certain days; a
// time), retention (all, copies, days or generations), data, and per location: used or not,
// encrypted or not, and its own retention.

import { LitElement, css, html, nothing } from 'lit';
import type { Generational, PublicConfig, Weekday } from '../../api/types.js';
import { formatWhen } from '../../format.js';
import { StoreController, type BackupStore } from '../../state/backup-store.js';
import { S } from '../../strings.js';
import { base } from '../../styles.js';
import { saveStatusStyles, SaveStatus } from './save-status.js';

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const GENERATIONS: (keyof Generational)[] = ['daily', 'weekly', 'monthly', 'yearly'];
type RetentionMode = 'all' | 'copies' | 'days' | 'generational';

function retentionMode(c: PublicConfig): RetentionMode {
  if (c.generational) return 'generational';
  if (c.retention.copies !== null) return 'copies';
  if (c.retention.days !== null) return 'days';
  return 'all';
}

const numberOf = (el: HTMLInputElement, min: number): number | null => {
  const n = Number(el.value);
  return Number.isInteger(n) && n >= min ? n : null;
};

export class LbSettingsAutomatic extends LitElement {
  static override properties = { store: { attribute: false }, mode: { state: true } };
  declare store: BackupStore;
  /** The retention mode chosen here before its numbers are saved. */
  declare mode: RetentionMode | null;
  private readonly storeController = new StoreController(this, () => this.store);
  private readonly status = new SaveStatus(this);
  /** The time and days last set, kept while the schedule is "never" so that turning it on again keeps them. */
  private remembered: { time: string | null; days: Weekday[] } = { time: null, days: [] };

  constructor() {
    super();
    this.mode = null;
  }

  static override styles = [
    base,
    saveStatusStyles,
    css`
      .days {
        display: flex;
        flex-wrap: wrap;
        gap: 0 1rem;
      }
      .inline {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem 1.25rem;
        align-items: flex-end;
      }
      .inline .field {
        margin-bottom: 0;
      }
      .next {
        background: var(--lb-primary-soft);
        border-radius: 8px;
        padding: 0.75rem 1rem;
        margin: 0.5rem 0 1.25rem;
      }
      .next strong {
        display: block;
      }
      h3 {
        margin-top: 1.5rem;
        padding-top: 1.25rem;
        border-top: 1px solid var(--lb-border);
      }
      .loc {
        border: 1px solid var(--lb-border);
        border-radius: 8px;
        padding: 0.75rem 1rem;
        margin-bottom: 0.75rem;
      }
      .loc .row {
        gap: 0.25rem 1.5rem;
      }
    `,
  ];

  private save(update: Record<string, unknown>): Promise<boolean> {
    return this.status.run(() => this.store.updateConfig(update));
  }

  override willUpdate(): void {
    const schedule = this.store?.config?.schedule;
    if (schedule?.time) this.remembered.time = schedule.time.slice(0, 5);
    if (schedule?.days.length) this.remembered.days = schedule.days;
  }

  private saveSchedule(): void {
    const root = this.renderRoot;
    const recurrence = (root.querySelector('input[name="recurrence"]:checked') as HTMLInputElement | null)?.value ?? 'never';
    const dayInputs = root.querySelector('#day-mon') !== null;
    const days = dayInputs ? WEEKDAYS.filter((d) => (root.querySelector(`#day-${d}`) as HTMLInputElement).checked) : this.remembered.days;
    const timeInput = root.querySelector('#time') as HTMLInputElement | null;
    const time = timeInput ? timeInput.value || null : this.remembered.time;
    if (timeInput) this.remembered.time = time;
    if (dayInputs) this.remembered.days = days;
    const config = this.store.config as PublicConfig;
    const update: Record<string, unknown> = { schedule: { recurrence, days: recurrence === 'custom_days' ? days : [], time }, automatic_backups_configured: true };
    if (recurrence !== 'never' && config.create_backup.agent_ids.length === 0 && this.store.agents[0]) {
      update.create_backup = { agent_ids: [this.store.agents[0].agent_id] };
    }
    void this.save(update);
  }

  private saveRetention(): void {
    const root = this.renderRoot;
    const mode = this.mode ?? retentionMode(this.store.config as PublicConfig);
    const input = (id: string) => root.querySelector(`#${id}`) as HTMLInputElement;
    let update: Record<string, unknown>;
    if (mode === 'copies') update = { retention: { copies: numberOf(input('copies'), 1), days: null }, generational: null };
    else if (mode === 'days') update = { retention: { copies: null, days: numberOf(input('days'), 1) }, generational: null };
    else if (mode === 'generational') {
      const g = Object.fromEntries(GENERATIONS.map((k) => [k, numberOf(input(`gen-${k}`), 0) ?? 0])) as Generational;
      update = { retention: { copies: null, days: null }, generational: g };
    } else update = { retention: { copies: null, days: null }, generational: null };
    const r = update.retention as { copies: number | null; days: number | null };
    if ((mode === 'copies' && r.copies === null) || (mode === 'days' && r.days === null)) return;
    // Once saved, the config says the mode; unless another one was chosen meanwhile.
    void this.save(update).then((ok) => {
      if (ok && this.mode === mode) this.mode = null;
    });
  }

  private saveAgent(agentId: string, change: { use?: boolean; protected?: boolean; retention?: { copies: number | null; days: number | null } | null }): void {
    const config = this.store.config as PublicConfig;
    const update: Record<string, unknown> = {};
    if (change.use !== undefined) {
      const ids = config.create_backup.agent_ids.filter((id) => id !== agentId);
      update.create_backup = { agent_ids: change.use ? [...ids, agentId] : ids };
    }
    if (change.protected !== undefined || change.retention !== undefined) {
      const entry: Record<string, unknown> = {};
      if (change.protected !== undefined) entry.protected = change.protected;
      if (change.retention !== undefined) entry.retention = change.retention;
      update.agents = { [agentId]: entry };
    }
    void this.save(update);
  }

  private renderSchedule(c: PublicConfig) {
    const rec = c.schedule.recurrence;
    return html`<fieldset @change=${() => this.saveSchedule()}>
        <legend>${S.settings.schedule}</legend>
        ${(['never', 'daily', 'custom_days'] as const).map(
          (r) => html`<label class="check"><input type="radio" name="recurrence" value=${r} .checked=${rec === r} /><span>${S.settings.recurrence[r]}</span></label>`,
        )}
      </fieldset>
      ${rec === 'custom_days'
        ? html`<fieldset class="days" @change=${() => this.saveSchedule()}>
            <legend>${S.settings.days}</legend>
            ${WEEKDAYS.map(
              (d) => html`<label class="check"><input type="checkbox" id="day-${d}" .checked=${c.schedule.days.includes(d)} /><span>${S.settings.weekdays[d]}</span></label>`,
            )}
          </fieldset>`
        : nothing}
      ${rec !== 'never'
        ? html`<div class="field">
            <label for="time">${S.settings.time}</label>
            <input id="time" type="time" .value=${c.schedule.time?.slice(0, 5) ?? ''} @change=${() => this.saveSchedule()} aria-describedby="time-hint" />
            <span class="hint" id="time-hint">${S.settings.timeHint}</span>
          </div>`
        : nothing}
      ${c.schedule.cron ? html`<p class="hint">${S.settings.cron(c.schedule.cron)}</p>` : nothing}
      <div class="next" role="status" aria-live="polite" data-testid="settings-next-run">
        <strong>${S.settings.nextRun}</strong>
        ${c.next_automatic_backup ? formatWhen(c.next_automatic_backup, c.lifeboat.time_zone) : S.settings.nextNone}
        <div class="hint">${S.settings.timeZone(c.lifeboat.time_zone)}</div>
      </div>`;
  }

  private renderRetention(c: PublicConfig) {
    const mode = this.mode ?? retentionMode(c);
    const gen = c.generational ?? { daily: 7, weekly: 4, monthly: 12, yearly: 2 };
    return html`<h3>${S.settings.retention}</h3>
      <fieldset>
        <legend class="sr-only">${S.settings.retention}</legend>
        ${(['all', 'copies', 'days', 'generational'] as const).map(
          (m) => html`<label class="check">
            <input
              type="radio"
              name="retention"
              value=${m}
              .checked=${mode === m}
              @change=${() => {
                this.mode = m;
                void this.updateComplete.then(() => this.saveRetention());
              }}
            /><span>${S.settings.retentionModes[m]}</span>
          </label>`,
        )}
      </fieldset>
      <div class="inline" @change=${() => this.saveRetention()}>
        ${mode === 'copies'
          ? html`<div class="field"><label for="copies">${S.settings.copies}</label><input id="copies" type="number" min="1" step="1" .value=${String(c.retention.copies ?? 3)} /></div>`
          : nothing}
        ${mode === 'days'
          ? html`<div class="field"><label for="days">${S.settings.daysCount}</label><input id="days" type="number" min="1" step="1" .value=${String(c.retention.days ?? 7)} /></div>`
          : nothing}
        ${mode === 'generational'
          ? GENERATIONS.map(
              (k) => html`<div class="field">
                <label for="gen-${k}">${S.settings.generations[k]}</label><input id="gen-${k}" type="number" min="0" step="1" .value=${String(gen[k])} />
              </div>`,
            )
          : nothing}
      </div>
      <p class="hint">${S.settings.retentionHint}</p>`;
  }

  private renderLocations(c: PublicConfig) {
    return html`<h3>${S.settings.locations}</h3>
      <p class="hint">${S.settings.locationsHint}</p>
      ${c.create_backup.agent_ids.length === 0 && c.schedule.recurrence !== 'never' ? html`<p class="error-text" role="alert">${S.settings.noLocation}</p>` : nothing}
      ${this.store.agents.map((a) => {
        const used = c.create_backup.agent_ids.includes(a.agent_id);
        const settings = c.agents[a.agent_id];
        const own = settings?.retention ?? null;
        const id = a.agent_id.replace(/[^a-z0-9]/gi, '-');
        return html`<div class="loc" data-agent=${a.agent_id}>
          <div class="row">
            <label class="check"><input type="checkbox" .checked=${used} @change=${(e: Event) => this.saveAgent(a.agent_id, { use: (e.target as HTMLInputElement).checked })} /><span>${S.settings.use(a.name)}</span></label>
            <label class="check"><input type="checkbox" .checked=${settings?.protected ?? true} @change=${(e: Event) => this.saveAgent(a.agent_id, { protected: (e.target as HTMLInputElement).checked })} /><span>${S.settings.encrypted}</span></label>
          </div>
          <div class="inline">
            <div class="field">
              <label for="own-${id}">${S.settings.ownRetention}</label>
              <select
                id="own-${id}"
                @change=${(e: Event) => {
                  const v = (e.target as HTMLSelectElement).value;
                  this.saveAgent(a.agent_id, { retention: v === 'global' ? null : v === 'copies' ? { copies: own?.copies ?? 3, days: null } : { copies: null, days: own?.days ?? 7 } });
                }}
              >
                <option value="global" ?selected=${!own}>${S.settings.followGlobal}</option>
                <option value="copies" ?selected=${own?.copies != null}>${S.settings.copies}</option>
                <option value="days" ?selected=${!!own && own.copies == null}>${S.settings.daysCount}</option>
              </select>
            </div>
            ${own
              ? html`<div class="field">
                  <label for="own-n-${id}">${own.copies != null ? S.settings.copies : S.settings.daysCount}</label>
                  <input
                    id="own-n-${id}"
                    type="number"
                    min="1"
                    .value=${String(own.copies ?? own.days ?? 1)}
                    @change=${(e: Event) => {
                      const n = numberOf(e.target as HTMLInputElement, 1);
                      if (n !== null) this.saveAgent(a.agent_id, { retention: own.copies != null ? { copies: n, days: null } : { copies: null, days: n } });
                    }}
                  />
                </div>`
              : nothing}
          </div>
        </div>`;
      })}`;
  }

  override render() {
    const c = this.store?.config;
    if (!c) return nothing;
    return html`<section class="card" aria-labelledby="auto-title">
      <div class="spread">
        <h2 id="auto-title">${S.settings.automatic}</h2>
        ${this.status.render()}
      </div>
      ${this.renderSchedule(c)} ${this.renderRetention(c)}
      <h3>${S.settings.data}</h3>
      <label class="check">
        <input type="checkbox" .checked=${c.create_backup.include_database} @change=${(e: Event) => void this.save({ create_backup: { include_database: (e.target as HTMLInputElement).checked } })} />
        <span>${S.settings.includeDatabase}<br /><span class="hint">${S.backupNow.databaseHint}</span></span>
      </label>
      <div class="field">
        <label for="auto-name">${S.settings.name}</label>
        <input
          id="auto-name"
          type="text"
          placeholder=${S.settings.namePlaceholder}
          .value=${c.create_backup.name ?? ''}
          @change=${(e: Event) => void this.save({ create_backup: { name: (e.target as HTMLInputElement).value.trim() || null } })}
        />
      </div>
      ${this.renderLocations(c)}
    </section>`;
  }
}

customElements.define('lb-settings-automatic', LbSettingsAutomatic);
