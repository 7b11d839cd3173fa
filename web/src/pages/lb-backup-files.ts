// A backup's Files view: the tree of its files (lifeboat/backup/files/list), the content of the
// file chosen (lifeboat/backup/files/read: text, or "binary file, N bytes"), "Compare with now"
// (lifeboat/backup/files/diff against the live installation, and for a changed file its changes
// from lifeboat/backup/files/patch), and "Restore these files" for what is chosen in the tree,
// which opens the restore wizard with those paths.

import { LitElement, css, html, nothing } from 'lit';
import type { CommandError } from '../api/connection.js';
import type { Backup, BackupDiff, BackupFileEntry, FileContent, FilePatch } from '../api/types.js';
import { preferredAgent } from '../backup-facts.js';
import { backupTabs, backupTabsStyles } from '../components/backup-tabs.js';
import { href } from '../components/route.js';
import { buildTree, restorePaths, type TreeNode } from '../file-tree.js';
import { formatBytes } from '../format.js';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base } from '../styles.js';
import '../components/lb-file-diff.js';
import '../components/lb-file-tree.js';

type Loaded<T> = { state: 'loading' } | { state: 'done'; value: T } | { state: 'error'; message: string };

/** Files larger than this are not asked for (the server's bound for one answer). */
const MAX_SHOWN_BYTES = 2 * 1024 * 1024;

export class LbBackupFiles extends LitElement {
  static override properties = {
    store: { attribute: false },
    backupId: {},
    tree: { state: true },
    selected: { state: true },
    opened: { state: true },
    content: { state: true },
    diff: { state: true },
    patchPath: { state: true },
    patch: { state: true },
  };

  declare store: BackupStore;
  declare backupId: string;
  declare tree: Loaded<TreeNode[]> | null;
  declare selected: ReadonlySet<string>;
  declare opened: TreeNode | null;
  declare content: Loaded<FileContent> | null;
  declare diff: Loaded<BackupDiff> | null;
  declare patchPath: string;
  declare patch: Loaded<FilePatch> | null;
  private readonly storeController = new StoreController(this, () => this.store);

  constructor() {
    super();
    this.backupId = '';
    this.tree = null;
    this.selected = new Set();
    this.opened = null;
    this.content = null;
    this.diff = null;
    this.patchPath = '';
    this.patch = null;
  }

  static override styles = [
    base,
    backupTabsStyles,
    css`
      .back {
        display: inline-block;
        margin-bottom: 0.75rem;
      }
      .layout {
        display: grid;
        grid-template-columns: minmax(0, 2fr) minmax(0, 3fr);
        gap: 1rem;
        align-items: start;
      }
      @media (max-width: 800px) {
        .layout {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .layout > .card {
        margin: 0;
        min-width: 0;
      }
      .selection {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem;
        margin-top: 0.75rem;
      }
      pre.content {
        font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
        font-size: 0.85rem;
        background: var(--lb-surface-2);
        border-radius: 6px;
        padding: 0.6rem 0.75rem;
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        max-height: 32rem;
        overflow-y: auto;
      }
      h3 {
        margin-top: 1rem;
      }
      ul.paths {
        margin: 0.25rem 0 0;
        padding-left: 1.25rem;
        overflow-wrap: anywhere;
      }
      ul.paths li {
        margin: 0.15rem 0;
      }
      .compare {
        margin-top: 1rem;
      }
    `,
  ];

  private get backup(): Backup | null {
    return this.store?.info?.backups.find((b) => b.backup_id === this.backupId) ?? null;
  }

  private get where(): { backup_id: string; agent_id: string } {
    const b = this.backup;
    return { backup_id: this.backupId, agent_id: b ? preferredAgent(b) : 'backup.local' };
  }

  override willUpdate(changed: Map<string, unknown>): void {
    if (changed.has('backupId') && this.store) {
      this.tree = null;
      this.opened = null;
      this.content = null;
      this.diff = null;
      this.patch = null;
      this.selected = new Set();
    }
    // The listing is asked for once the backup (and so its location) is known.
    if (this.tree === null && this.store && this.backup) {
      this.tree = { state: 'loading' };
      void this.load(
        this.store.connection.command<{ entries: BackupFileEntry[] }>('lifeboat/backup/files/list', this.where).then((r) => buildTree(r.entries)),
        (v) => (this.tree = v),
      );
    }
  }

  private async load<T>(p: Promise<T>, set: (v: Loaded<T>) => void): Promise<void> {
    try {
      set({ state: 'done', value: await p });
    } catch (err) {
      set({ state: 'error', message: (err as CommandError).message });
    }
  }

  private openFile(node: TreeNode): void {
    this.opened = node;
    if (node.entry?.type === 'symlink' || node.size > MAX_SHOWN_BYTES) {
      this.content = null;
      return;
    }
    this.content = { state: 'loading' };
    const path = node.path;
    void this.load(this.store.connection.command<FileContent>('lifeboat/backup/files/read', { ...this.where, path }), (v) => {
      if (this.opened?.path === path) this.content = v;
    });
  }

  private compare(): void {
    this.diff = { state: 'loading' };
    this.patch = null;
    this.patchPath = '';
    void this.load(this.store.connection.command<BackupDiff>('lifeboat/backup/files/diff', { ...this.where, other_backup_id: 'live' }), (v) => (this.diff = v));
  }

  private showPatch(path: string): void {
    this.patchPath = path;
    this.patch = { state: 'loading' };
    void this.load(this.store.connection.command<FilePatch>('lifeboat/backup/files/patch', { ...this.where, other_backup_id: 'live', path }), (v) => {
      if (this.patchPath === path) this.patch = v;
    });
  }

  private renderTree() {
    const t = this.tree;
    if (!t || t.state === 'loading') return html`<p role="status">${S.files.loading}</p>`;
    if (t.state === 'error') return html`<p class="error-text" role="alert">${S.app.error(t.message)}</p>`;
    if (!t.value.length) return html`<p>${S.files.empty}</p>`;
    const chosen = restorePaths(this.selected);
    return html`<lb-file-tree
        .nodes=${t.value}
        .selected=${this.selected}
        .openPath=${this.opened?.path ?? ''}
        @open-file=${(e: CustomEvent<TreeNode>) => this.openFile(e.detail)}
        @selection-change=${(e: CustomEvent<Set<string>>) => (this.selected = e.detail)}
      ></lb-file-tree>
      <div class="selection">
        <span role="status" aria-live="polite" data-testid="selection">${chosen.length ? S.files.selected(chosen.length) : ''}</span>
        <button class="primary" ?disabled=${!chosen.length} @click=${() => (location.hash = href.restore(this.backupId, chosen))}>${S.files.restoreSelected}</button>
        ${chosen.length ? html`<button @click=${() => (this.selected = new Set())}>${S.files.clear}</button>` : nothing}
      </div>`;
  }

  private renderViewer() {
    const node = this.opened;
    if (!node) return html`<p class="muted">${S.files.chooseFile}</p>`;
    let body;
    const c = this.content;
    if (node.entry?.type === 'symlink') body = html`<p>${S.files.link(node.entry.linkname ?? '')}</p>`;
    else if (node.size > MAX_SHOWN_BYTES) body = html`<p>${S.files.tooLarge(formatBytes(node.size))}</p>`;
    else if (!c || c.state === 'loading') body = html`<p role="status">${S.files.reading(node.path)}</p>`;
    else if (c.state === 'error') body = html`<p class="error-text" role="alert">${S.app.error(c.message)}</p>`;
    else if (c.value.encoding === 'base64') body = html`<p data-testid="binary">${S.files.binary(`${c.value.size} bytes`)}</p>`;
    else body = html`<pre class="content" data-testid="file-content" tabindex="0" aria-label=${node.path}>${c.value.content}</pre>`;
    return html`<h3>${node.path}</h3>
      ${body}`;
  }

  private renderCompare() {
    const d = this.diff;
    const button = html`<button @click=${() => this.compare()} ?disabled=${d?.state === 'loading'}>${S.files.compare}</button>`;
    if (!d) return html`<p class="muted">${S.files.compareIntro}</p><div class="actions">${button}</div>`;
    if (d.state === 'loading') return html`<p role="status">${S.files.comparing}</p>`;
    if (d.state === 'error') return html`<p class="error-text" role="alert">${S.app.error(d.message)}</p><div class="actions">${button}</div>`;
    const { added, removed, changed, notCompared } = d.value;
    const list = (title: string, paths: string[], id: string) =>
      paths.length
        ? html`<h3 id=${id}>${title}</h3>
            <ul class="paths" aria-labelledby=${id} data-testid=${id}>
              ${paths.map((p) => html`<li>${p}</li>`)}
            </ul>`
        : nothing;
    return html`<div role="status" aria-live="polite">
        ${!added.length && !removed.length && !changed.length ? html`<p>${S.files.noChanges}</p>` : nothing}
      </div>
      ${list(S.files.added(added.length), added, 'added')} ${list(S.files.removed(removed.length), removed, 'removed')}
      ${changed.length
        ? html`<h3 id="changed">${S.files.changed(changed.length)}</h3>
            <ul class="paths" aria-labelledby="changed" data-testid="changed">
              ${changed.map(
                (c) => html`<li>
                  <button class="link" aria-label=${S.files.showDiff(c.path)} aria-pressed=${String(this.patchPath === c.path)} @click=${() => this.showPatch(c.path)}>
                    ${c.path}
                  </button>
                  <span class="muted">(${c.what.map((w) => S.files.what[w] ?? w).join(', ')})</span>
                </li>`,
              )}
            </ul>`
        : nothing}
      ${notCompared.length ? html`<p class="muted">${S.files.notCompared(notCompared.join(', '))}</p>` : nothing} ${this.renderPatch()}
      <div class="actions">${button}</div>`;
  }

  private renderPatch() {
    const p = this.patch;
    if (!p) return nothing;
    let body;
    if (p.state === 'loading') body = html`<p role="status">${S.files.diffLoading}</p>`;
    else if (p.state === 'error') body = html`<p class="error-text" role="alert">${S.app.error(p.message)}</p>`;
    else body = html`<lb-file-diff .patch=${p.value}></lb-file-diff>`;
    return html`<section aria-labelledby="patch-title" data-testid="patch">
      <h3 id="patch-title">${S.files.diffTitle(this.patchPath)}</h3>
      ${body}
    </section>`;
  }

  override render() {
    const b = this.backup;
    if (!b) return html`<a class="back" href=${href.backups}>← ${S.details.back}</a><p role="status">${this.store?.info ? S.details.notFound : S.app.loading}</p>`;
    return html`<a class="back" href=${href.backups}>← ${S.details.back}</a>
      <h1 tabindex="-1">${S.files.title(b.name)}</h1>
      ${backupTabs(b.backup_id, 'files')}
      <div class="layout">
        <section class="card" aria-labelledby="tree-title">
          <h2 id="tree-title">${S.files.tree}</h2>
          ${this.renderTree()}
        </section>
        <section class="card" aria-labelledby="viewer-title">
          <h2 id="viewer-title">${S.files.viewer}</h2>
          ${this.renderViewer()}
        </section>
      </div>
      <section class="card compare" aria-labelledby="compare-title">
        <h2 id="compare-title">${S.files.compareTitle}</h2>
        ${this.renderCompare()}
      </section>`;
  }
}

customElements.define('lb-backup-files', LbBackupFiles);
