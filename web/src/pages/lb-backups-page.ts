// The list of backups: filter by type (automatic, manual, uploaded), location and name; sort by
// name, date or size; per backup its locations, encryption and size; select several to delete;
// download one as stored; upload a backup file with progress.

import { LitElement, css, html } from 'lit';
import type { CommandError } from '../api/connection.js';
import type { Backup } from '../api/types.js';
import { backupSize, backupType, encryption, preferredAgent } from '../backup-facts.js';
import { href } from '../components/route.js';
import { formatBytes, formatDate } from '../format.js';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';
import { tableStyles } from './table-styles.js';

type SortKey = 'name' | 'date' | 'size';

export class LbBackupsPage extends LitElement {
  static override properties = {
    store: { attribute: false },
    typeFilter: { state: true },
    agentFilter: { state: true },
    search: { state: true },
    sortKey: { state: true },
    sortAsc: { state: true },
    selected: { state: true },
    deleting: { state: true },
  };

  declare store: BackupStore;
  declare typeFilter: string;
  declare agentFilter: string;
  declare search: string;
  declare sortKey: SortKey;
  declare sortAsc: boolean;
  declare selected: Set<string>;
  declare deleting: boolean;
  private readonly storeController = new StoreController(this, () => this.store);

  constructor() {
    super();
    this.typeFilter = 'all';
    this.agentFilter = 'all';
    this.search = '';
    this.sortKey = 'date';
    this.sortAsc = false;
    this.selected = new Set();
    this.deleting = false;
  }

  static override styles = [
    base,
    tableStyles,
    css`
      .filters {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem 1rem;
        align-items: flex-end;
        margin-bottom: 1rem;
      }
      .filters .field {
        margin: 0;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 0.75rem;
        justify-content: space-between;
        align-items: center;
        margin-bottom: 0.75rem;
      }
    `,
  ];

  private get shown(): Backup[] {
    const needle = this.search.trim().toLowerCase();
    const list = (this.store.info?.backups ?? []).filter(
      (b) =>
        (this.typeFilter === 'all' || backupType(b) === this.typeFilter) &&
        (this.agentFilter === 'all' || b.agents[this.agentFilter]) &&
        (!needle || b.name.toLowerCase().includes(needle)),
    );
    const dir = this.sortAsc ? 1 : -1;
    const key = (b: Backup) => (this.sortKey === 'name' ? b.name.toLowerCase() : this.sortKey === 'size' ? backupSize(b) : Date.parse(b.date));
    return list.sort((a, b) => (key(a) < key(b) ? -dir : key(a) > key(b) ? dir : 0));
  }

  private sortBy(key: SortKey): void {
    if (this.sortKey === key) this.sortAsc = !this.sortAsc;
    else {
      this.sortKey = key;
      this.sortAsc = key === 'name';
    }
  }

  private toggle(id: string, on: boolean): void {
    const next = new Set(this.selected);
    if (on) next.add(id);
    else next.delete(id);
    this.selected = next;
  }

  private async deleteSelected(): Promise<void> {
    const ids = [...this.selected];
    this.deleting = true;
    try {
      for (const id of ids) await this.store.connection.command('backup/delete', { backup_id: id });
      this.store.notify(S.backups.deleted(ids.length));
    } catch (err) {
      this.store.notify(S.app.error((err as CommandError).message), 'error');
    } finally {
      this.deleting = false;
      this.selected = new Set();
      (this.renderRoot.querySelector('#confirm-delete') as HTMLDialogElement).close();
      await this.store.refreshInfo();
    }
  }

  private renderHeader(key: SortKey, label: string) {
    const active = this.sortKey === key;
    return html`<th scope="col" aria-sort=${active ? (this.sortAsc ? 'ascending' : 'descending') : 'none'}>
      <button class="sort" @click=${() => this.sortBy(key)} aria-label=${S.backups.sortBy(label)}>
        ${label} <span aria-hidden="true">${active ? (this.sortAsc ? '▲' : '▼') : ''}</span>
      </button>
    </th>`;
  }

  private renderRow(b: Backup) {
    const c = S.backups.columns;
    const enc = encryption(b);
    return html`<tr data-backup-id=${b.backup_id}>
      <td class="select">
        <input type="checkbox" .checked=${this.selected.has(b.backup_id)} aria-label=${S.backups.selectOne(b.name)} @change=${(e: Event) => this.toggle(b.backup_id, (e.target as HTMLInputElement).checked)} />
      </td>
      <td data-label=${c.name} class="name"><a href=${href.details(b.backup_id)}>${b.name}</a></td>
      <td data-label=${c.date}>${formatDate(b.date)}</td>
      <td data-label=${c.type}>${S.backups.types[backupType(b)]}</td>
      <td data-label=${c.locations}>${Object.keys(b.agents).map((id) => this.store.agentName(id)).join(', ')}</td>
      <td data-label=${c.encryption}>
        <span class="badge">${enc === 'encrypted' ? S.backups.encrypted : enc === 'mixed' ? S.backups.mixed : S.backups.notEncrypted}</span>
      </td>
      <td data-label=${c.size} class="num">${formatBytes(backupSize(b))}</td>
      <td class="row-actions">
        <button @click=${() => void this.store.download(b.backup_id, preferredAgent(b), false)} aria-label=${S.backups.downloadOf(b.name)}>${S.backups.download}</button>
        ${enc !== 'plain'
          ? html`<button @click=${() => void this.store.download(b.backup_id, preferredAgent(b), true)} aria-label=${S.backups.downloadDecryptedOf(b.name)}>
              ${S.backups.downloadDecrypted}
            </button>`
          : ''}
      </td>
    </tr>`;
  }

  override render() {
    const info = this.store?.info;
    if (!info) return html`<p role="status">${S.app.loading}</p>`;
    const shown = this.shown;
    const c = S.backups.columns;
    const allSelected = shown.length > 0 && shown.every((b) => this.selected.has(b.backup_id));
    return html`<h1 tabindex="-1">${S.backups.title}</h1>
      <section class="card" aria-labelledby="upload-title">
        <h2 id="upload-title">${S.backups.upload}</h2>
        <lb-upload
          .token=${this.store.token}
          .agents=${this.store.agents}
          @uploaded=${(e: CustomEvent<{ fileName: string }>) => {
            this.store.notify(S.backups.uploaded(e.detail.fileName));
            void this.store.refreshInfo();
          }}
        ></lb-upload>
      </section>
      <section class="card" aria-label=${S.backups.title}>
        <div class="filters" role="search">
          <div class="field">
            <label for="f-type">${S.backups.filterType}</label>
            <select id="f-type" @change=${(e: Event) => (this.typeFilter = (e.target as HTMLSelectElement).value)}>
              <option value="all">${S.backups.all}</option>
              ${['automatic', 'manual', 'uploaded'].map((t) => html`<option value=${t} ?selected=${this.typeFilter === t}>${S.backups.types[t]}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="f-agent">${S.backups.filterLocation}</label>
            <select id="f-agent" @change=${(e: Event) => (this.agentFilter = (e.target as HTMLSelectElement).value)}>
              <option value="all">${S.backups.allLocations}</option>
              ${this.store.agents.map((a) => html`<option value=${a.agent_id} ?selected=${this.agentFilter === a.agent_id}>${a.name}</option>`)}
            </select>
          </div>
          <div class="field">
            <label for="f-search">${S.backups.search}</label>
            <input id="f-search" type="search" .value=${this.search} @input=${(e: Event) => (this.search = (e.target as HTMLInputElement).value)} />
          </div>
        </div>
        <div class="toolbar">
          <span class="muted" role="status" data-testid="backup-count">${S.backups.count(shown.length, info.backups.length)}</span>
          <button class="danger" ?disabled=${this.selected.size === 0 || this.deleting} @click=${() => (this.renderRoot.querySelector('#confirm-delete') as HTMLDialogElement).showModal()}>
            ${S.backups.deleteSelected(this.selected.size)}
          </button>
        </div>
        ${info.backups.length === 0
          ? html`<p class="muted">${S.backups.none}</p>`
          : shown.length === 0
            ? html`<p class="muted">${S.backups.empty}</p>`
            : html`<table>
                <caption class="sr-only">${S.backups.title}</caption>
                <thead>
                  <tr>
                    <th scope="col" class="select">
                      <input
                        type="checkbox"
                        .checked=${allSelected}
                        aria-label=${S.backups.selectAll}
                        @change=${(e: Event) => (this.selected = (e.target as HTMLInputElement).checked ? new Set(shown.map((b) => b.backup_id)) : new Set())}
                      />
                    </th>
                    ${this.renderHeader('name', c.name)} ${this.renderHeader('date', c.date)}
                    <th scope="col">${c.type}</th>
                    <th scope="col">${c.locations}</th>
                    <th scope="col">${c.encryption}</th>
                    ${this.renderHeader('size', c.size)}
                    <th scope="col"><span class="sr-only">${c.actions}</span></th>
                  </tr>
                </thead>
                <tbody>
                  ${shown.map((b) => this.renderRow(b))}
                </tbody>
              </table>`}
      </section>
      <dialog id="confirm-delete" aria-labelledby="del-title" aria-describedby="del-body">
        <h2 id="del-title">${S.backups.deleteTitle(this.selected.size)}</h2>
        <p id="del-body">${S.backups.deleteBody}</p>
        <ul>
          ${[...this.selected].map((id) => html`<li>${info.backups.find((b) => b.backup_id === id)?.name ?? id}</li>`)}
        </ul>
        <div class="actions">
          <button @click=${() => (this.renderRoot.querySelector('#confirm-delete') as HTMLDialogElement).close()}>${S.app.cancel}</button>
          <button class="danger" ?disabled=${this.deleting} @click=${() => void this.deleteSelected()}>${S.backups.deleteConfirm}</button>
        </div>
      </dialog>`;
  }
}

customElements.define('lb-backups-page', LbBackupsPage);
