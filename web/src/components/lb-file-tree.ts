// The tree of a backup's files in the Files view: folders open and close (disclosure buttons that
// say whether they are expanded), files open in the viewer, sizes beside each (a folder's: of all
// it holds), and a checkbox per file and folder to choose what to restore; what lies below a
// chosen folder shows as chosen with it. It tells its page with `open-file` and `selection-change`.

import { LitElement, css, html, nothing } from 'lit';
import { isUnder, type TreeNode } from '../file-tree.js';
import { formatBytes } from '../format.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbFileTree extends LitElement {
  static override properties = {
    nodes: { attribute: false },
    selected: { attribute: false },
    openPath: { attribute: false },
    expanded: { state: true },
  };

  declare nodes: TreeNode[];
  declare selected: ReadonlySet<string>;
  declare openPath: string;
  declare expanded: ReadonlySet<string>;

  constructor() {
    super();
    this.nodes = [];
    this.selected = new Set();
    this.openPath = '';
    this.expanded = new Set();
  }

  static override styles = [
    base,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      ul ul {
        padding-left: 1.25rem;
        border-left: 1px solid var(--lb-border);
        margin-left: 0.9rem;
      }
      .row {
        display: flex;
        align-items: center;
        gap: 0.4rem;
        padding: 0.1rem 0;
        min-width: 0;
      }
      .row input {
        flex: none;
        width: 1.1rem;
        height: 1.1rem;
        margin: 0;
      }
      .row button {
        flex: 1 1 auto;
        min-width: 0;
        justify-content: flex-start;
        text-align: left;
        background: none;
        border: none;
        padding: 0.3rem 0.4rem;
        color: inherit;
        overflow-wrap: anywhere;
        font-weight: normal;
      }
      .row button[aria-current='true'] {
        background: var(--lb-primary-soft);
        font-weight: 600;
      }
      .icon {
        display: inline-block;
        width: 1.1rem;
        color: var(--lb-muted);
      }
      .size {
        flex: none;
        color: var(--lb-muted);
        font-size: 0.85rem;
        font-variant-numeric: tabular-nums;
      }
    `,
  ];

  private toggle(path: string): void {
    const next = new Set(this.expanded);
    if (next.has(path)) next.delete(path);
    else next.add(path);
    this.expanded = next;
  }

  private choose(path: string, on: boolean): void {
    const next = new Set(this.selected);
    if (on) {
      next.add(path);
      // A folder chosen whole stands for what lies below it.
      for (const p of next) if (p !== path && isUnder(p, path)) next.delete(p);
    } else next.delete(path);
    this.dispatchEvent(new CustomEvent('selection-change', { detail: next }));
  }

  private renderNode(node: TreeNode, parentChosen: boolean): unknown {
    const chosen = parentChosen || this.selected.has(node.path);
    const open = this.expanded.has(node.path);
    const checkbox = html`<input
      type="checkbox"
      aria-label=${S.files.select(node.path)}
      .checked=${chosen}
      ?disabled=${parentChosen}
      @change=${(e: Event) => this.choose(node.path, (e.target as HTMLInputElement).checked)}
    />`;
    const size = html`<span class="size">${formatBytes(node.size)}</span>`;
    if (node.folder) {
      return html`<li>
        <div class="row">
          ${checkbox}
          <button aria-expanded=${String(open)} @click=${() => this.toggle(node.path)} data-path=${node.path}>
            <span class="icon" aria-hidden="true">${open ? '▾' : '▸'}</span>${node.name}/
          </button>
          ${size}
        </div>
        ${open && node.children.length ? html`<ul>${node.children.map((c) => this.renderNode(c, chosen))}</ul>` : nothing}
      </li>`;
    }
    return html`<li>
      <div class="row">
        ${checkbox}
        <button aria-current=${String(this.openPath === node.path)} @click=${() => this.dispatchEvent(new CustomEvent('open-file', { detail: node }))} data-path=${node.path}>
          <span class="icon" aria-hidden="true">${node.entry?.type === 'symlink' ? '↪' : '·'}</span>${node.name}
        </button>
        ${size}
      </div>
    </li>`;
  }

  override render() {
    return html`<ul aria-label=${S.files.tree}>
      ${this.nodes.map((n) => this.renderNode(n, false))}
    </ul>`;
  }
}

customElements.define('lb-file-tree', LbFileTree);
