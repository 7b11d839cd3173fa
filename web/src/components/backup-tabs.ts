// The views of one backup — its summary and its files — as links under the backup's heading, the
// current one marked for screen readers.

import { css, html } from 'lit';
import { S } from '../strings.js';
import { href } from './route.js';

export const backupTabsStyles = css`
  nav.views ul {
    list-style: none;
    display: flex;
    gap: 0.25rem;
    padding: 0;
    margin: 0 0 1rem;
    border-bottom: 1px solid var(--lb-border);
  }
  nav.views a {
    display: inline-block;
    padding: 0.5rem 0.9rem;
    text-decoration: none;
    border-bottom: 3px solid transparent;
  }
  nav.views a[aria-current='page'] {
    border-bottom-color: var(--lb-primary);
    font-weight: 600;
  }
`;

export function backupTabs(backupId: string, current: 'summary' | 'files') {
  const link = (view: 'summary' | 'files', to: string, label: string) =>
    html`<li><a href=${to} aria-current=${current === view ? 'page' : 'false'}>${label}</a></li>`;
  return html`<nav class="views" aria-label=${S.details.views}>
    <ul>
      ${link('summary', href.details(backupId), S.details.summary)} ${link('files', href.files(backupId), S.files.tab)}
    </ul>
  </nav>`;
}
