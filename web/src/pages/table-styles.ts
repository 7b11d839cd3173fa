// Styles of the backup table: a plain table on wide screens; on a phone each row becomes a card
// whose cells carry their column name.

import { css } from 'lit';

export const tableStyles = css`
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: 0.55rem 0.5rem;
    border-bottom: 1px solid var(--lb-border);
    vertical-align: middle;
  }
  th {
    font-size: 0.85rem;
    color: var(--lb-muted);
    font-weight: 600;
    white-space: nowrap;
  }
  td.num {
    white-space: nowrap;
  }
  td.select,
  th.select {
    width: 2.5rem;
  }
  td.select input,
  th.select input {
    width: 1.2rem;
    height: 1.2rem;
    accent-color: var(--lb-primary);
  }
  td.name a {
    font-weight: 600;
  }
  td.row-actions {
    text-align: right;
    white-space: nowrap;
  }
  td.row-actions button + button {
    margin-left: 0.4rem;
  }
  td.row-actions button {
    min-height: 36px;
    padding: 0.25rem 0.75rem;
  }
  button.sort {
    background: none;
    border: none;
    padding: 0;
    min-height: 0;
    font: inherit;
    color: inherit;
    font-weight: 600;
  }
  @media (max-width: 760px) {
    thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0, 0, 0, 0);
    }
    table,
    tbody,
    tr,
    td {
      display: block;
      width: 100%;
    }
    tr {
      position: relative;
      border: 1px solid var(--lb-border);
      border-radius: var(--lb-radius);
      padding: 0.6rem 0.75rem 0.6rem 3rem;
      margin-bottom: 0.75rem;
    }
    td {
      border: none;
      padding: 0.15rem 0;
      display: flex;
      gap: 0.5rem;
    }
    td[data-label]::before {
      content: attr(data-label);
      color: var(--lb-muted);
      min-width: 6.5rem;
      font-size: 0.9rem;
    }
    td.name::before {
      display: none;
    }
    td.select {
      position: absolute;
      left: 0.9rem;
      top: 0.75rem;
      width: auto;
    }
    td.row-actions {
      text-align: left;
      margin-top: 0.4rem;
    }
  }
`;
