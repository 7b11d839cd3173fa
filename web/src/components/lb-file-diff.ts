// The changes of one file (a patch from lifeboat/backup/files/patch) as a unified diff or side by
// side, the backup on the left and now on the right; the reader chooses the layout. A binary file
// or one too large for a line diff says so instead.

import { LitElement, css, html } from 'lit';
import type { FilePatch } from '../api/types.js';
import { patchRows, unifiedLineKind, type Side } from '../patch-rows.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

type Layout = 'unified' | 'side';

export class LbFileDiff extends LitElement {
  static override properties = {
    patch: { attribute: false },
    layout: { state: true },
  };

  declare patch: FilePatch | null;
  declare layout: Layout;

  constructor() {
    super();
    this.patch = null;
    this.layout = 'unified';
  }

  static override styles = [
    base,
    css`
      fieldset {
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem 1rem;
        margin-bottom: 0.75rem;
      }
      pre,
      table {
        font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
        font-size: 0.85rem;
        background: var(--lb-surface-2);
        border-radius: 6px;
        margin: 0;
      }
      pre {
        padding: 0.5rem 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      pre span {
        display: block;
        padding: 0 0.75rem;
      }
      table {
        width: 100%;
        table-layout: fixed;
        border-collapse: collapse;
      }
      th {
        text-align: left;
        font-family: inherit;
        padding: 0.35rem 0.5rem;
      }
      td {
        vertical-align: top;
        padding: 0 0.4rem;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      td.n {
        width: 3rem;
        text-align: right;
        color: var(--lb-muted);
        user-select: none;
      }
      col.n {
        width: 3rem;
      }
      .add {
        background: var(--lb-success-bg);
      }
      .del {
        background: var(--lb-danger-bg);
      }
      .hunk,
      .head {
        color: var(--lb-muted);
      }
    `,
  ];

  private renderUnified(patch: string) {
    const lines = patch.replace(/\n$/, '').split('\n');
    return html`<pre data-testid="unified-diff">${lines.map((l) => html`<span class=${unifiedLineKind(l)}>${l || ' '}</span>`)}</pre>`;
  }

  private renderSide(patch: string) {
    const cell = (side: Side | null, kind: string) => html`<td class="n">${side?.n ?? ''}</td><td class=${side ? kind : ''}>${side?.text ?? ''}</td>`;
    return html`<table data-testid="side-by-side-diff">
      <colgroup>
        <col class="n" />
        <col />
        <col class="n" />
        <col />
      </colgroup>
      <thead>
        <tr>
          <th colspan="2" scope="colgroup">${S.files.inBackup}</th>
          <th colspan="2" scope="colgroup">${S.files.now}</th>
        </tr>
      </thead>
      <tbody>
        ${patchRows(patch).map((row) =>
          row.kind === 'hunk'
            ? html`<tr class="hunk"><td colspan="4">${row.text}</td></tr>`
            : html`<tr>
                ${cell(row.left, row.kind === 'same' ? '' : 'del')}${cell(row.right, row.kind === 'same' ? '' : 'add')}
              </tr>`,
        )}
      </tbody>
    </table>`;
  }

  override render() {
    const p = this.patch;
    if (!p) return html``;
    if (p.kind === 'binary') return html`<p>${S.files.binaryDiffers}</p>`;
    if (p.kind === 'too-large') return html`<p>${S.files.diffTooLarge}</p>`;
    if (!p.patch) return html`<p>${S.files.identical}</p>`;
    const radio = (value: Layout, label: string) => html`<label class="check">
      <input type="radio" name="layout" value=${value} .checked=${this.layout === value} @change=${() => (this.layout = value)} />
      <span>${label}</span>
    </label>`;
    return html`<fieldset>
        <legend class="sr-only">${S.files.diffLayout}</legend>
        ${radio('unified', S.files.unified)} ${radio('side', S.files.sideBySide)}
      </fieldset>
      ${this.layout === 'unified' ? this.renderUnified(p.patch) : this.renderSide(p.patch)}`;
  }
}

customElements.define('lb-file-diff', LbFileDiff);
