// Shared styles: the colour theme (light and dark, following the system preference) as custom
// properties that inherit into every component, and the common building blocks — cards, buttons,
// form fields, banners, badges, tables, progress bars and dialogs.

import { css } from 'lit';

export const theme = css`
  :host {
    --lb-bg: #f4f6f8;
    --lb-surface: #ffffff;
    --lb-surface-2: #eef1f4;
    --lb-text: #1b1f23;
    --lb-muted: #56606b;
    --lb-border: #d3d9df;
    --lb-primary: #0a5fb4;
    --lb-primary-text: #ffffff;
    --lb-primary-soft: #e3effb;
    --lb-success: #1d7a36;
    --lb-success-bg: #e6f4ea;
    --lb-warning: #7a4100;
    --lb-warning-bg: #fff3e0;
    --lb-danger: #b3261e;
    --lb-danger-bg: #fdecea;
    --lb-focus: #0a5fb4;
    --lb-radius: 10px;
    --lb-shadow: 0 1px 2px rgb(0 0 0 / 6%), 0 1px 6px rgb(0 0 0 / 4%);
    color: var(--lb-text);
    font-size: 16px;
    line-height: 1.5;
  }
  @media (prefers-color-scheme: dark) {
    :host {
      --lb-bg: #111417;
      --lb-surface: #1a1f25;
      --lb-surface-2: #232a31;
      --lb-text: #e4e7ea;
      --lb-muted: #a3adb7;
      --lb-border: #333c45;
      --lb-primary: #6cb2f5;
      --lb-primary-text: #08131e;
      --lb-primary-soft: #1b2c3d;
      --lb-success: #6fcf86;
      --lb-success-bg: #17301f;
      --lb-warning: #ffcc80;
      --lb-warning-bg: #3a2c12;
      --lb-danger: #ff8a80;
      --lb-danger-bg: #3b1c1b;
      --lb-focus: #6cb2f5;
      --lb-shadow: none;
    }
  }
`;

export const base = css`
  :host {
    display: block;
  }
  *,
  *::before,
  *::after {
    box-sizing: border-box;
  }
  h1,
  h2,
  h3 {
    line-height: 1.25;
    margin: 0 0 0.75rem;
  }
  h1 {
    font-size: 1.6rem;
    font-weight: 600;
  }
  h2 {
    font-size: 1.2rem;
    font-weight: 600;
  }
  h3 {
    font-size: 1rem;
    font-weight: 600;
  }
  h1:focus,
  h2:focus {
    outline: none;
  }
  p {
    margin: 0 0 0.75rem;
  }
  a {
    color: var(--lb-primary);
  }
  :focus-visible {
    outline: 3px solid var(--lb-focus);
    outline-offset: 2px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    padding: 0;
    margin: -1px;
    overflow: hidden;
    clip: rect(0, 0, 0, 0);
    white-space: nowrap;
    border: 0;
  }
  .muted {
    color: var(--lb-muted);
  }
  .card {
    background: var(--lb-surface);
    border: 1px solid var(--lb-border);
    border-radius: var(--lb-radius);
    box-shadow: var(--lb-shadow);
    padding: 1.25rem;
    margin-bottom: 1.25rem;
  }
  .card > h2:first-child {
    margin-top: 0;
  }
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem;
    align-items: center;
  }
  .spread {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem;
    align-items: center;
    justify-content: space-between;
  }
  .stack > * + * {
    margin-top: 1rem;
  }
  button,
  .btn {
    font: inherit;
    min-height: 44px;
    padding: 0.5rem 1rem;
    border-radius: 8px;
    border: 1px solid var(--lb-border);
    background: var(--lb-surface);
    color: var(--lb-text);
    cursor: pointer;
    text-decoration: none;
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 0.4rem;
  }
  button:hover:not(:disabled) {
    background: var(--lb-surface-2);
  }
  button:disabled {
    opacity: 0.55;
    cursor: not-allowed;
  }
  button.primary {
    background: var(--lb-primary);
    border-color: var(--lb-primary);
    color: var(--lb-primary-text);
    font-weight: 600;
  }
  button.primary:hover:not(:disabled) {
    background: var(--lb-primary);
    filter: brightness(1.08);
  }
  button.danger {
    background: var(--lb-danger);
    border-color: var(--lb-danger);
    color: #fff;
    font-weight: 600;
  }
  @media (prefers-color-scheme: dark) {
    button.danger {
      color: #1a0b0a;
    }
  }
  button.link {
    border: none;
    background: none;
    color: var(--lb-primary);
    padding: 0.25rem 0.25rem;
    min-height: 0;
    text-decoration: underline;
  }
  .field {
    display: flex;
    flex-direction: column;
    gap: 0.3rem;
    margin-bottom: 1rem;
  }
  .field > label,
  legend {
    font-weight: 600;
  }
  .hint {
    color: var(--lb-muted);
    font-size: 0.9rem;
  }
  input[type='text'],
  input[type='password'],
  input[type='number'],
  input[type='time'],
  input[type='url'],
  input[type='search'],
  select {
    font: inherit;
    color: var(--lb-text);
    background: var(--lb-surface);
    border: 1px solid var(--lb-border);
    border-radius: 8px;
    padding: 0.5rem 0.65rem;
    min-height: 44px;
    max-width: 100%;
  }
  input[type='number'] {
    width: 7rem;
  }
  .field > input[type='number'],
  .field > input[type='time'],
  .field > select,
  .field > input[type='file'] {
    align-self: flex-start;
  }
  .field > input[type='text'],
  .field > input[type='url'],
  .field > input[type='password'],
  .field > input[type='search'] {
    width: min(100%, 32rem);
  }
  input[aria-invalid='true'] {
    border-color: var(--lb-danger);
  }
  .check {
    display: flex;
    gap: 0.6rem;
    align-items: flex-start;
    padding: 0.35rem 0;
  }
  .check input {
    width: 1.2rem;
    height: 1.2rem;
    margin: 0.15rem 0 0;
    flex: none;
    accent-color: var(--lb-primary);
  }
  fieldset {
    border: none;
    margin: 0 0 1rem;
    padding: 0;
    min-width: 0;
  }
  legend {
    padding: 0;
    margin-bottom: 0.3rem;
  }
  .banner {
    border-radius: var(--lb-radius);
    padding: 0.9rem 1.1rem;
    margin-bottom: 1.25rem;
    border: 1px solid transparent;
  }
  .banner.error {
    background: var(--lb-danger-bg);
    color: var(--lb-text);
    border-color: var(--lb-danger);
  }
  .banner.warning {
    background: var(--lb-warning-bg);
    color: var(--lb-text);
    border-color: var(--lb-warning);
  }
  .banner.success {
    background: var(--lb-success-bg);
    color: var(--lb-text);
    border-color: var(--lb-success);
  }
  .banner strong {
    display: block;
    margin-bottom: 0.25rem;
  }
  .banner p:last-child {
    margin-bottom: 0;
  }
  .error-text {
    color: var(--lb-danger);
  }
  .badge {
    display: inline-block;
    font-size: 0.8rem;
    line-height: 1.4;
    padding: 0.05rem 0.5rem;
    border-radius: 999px;
    background: var(--lb-surface-2);
    color: var(--lb-text);
    border: 1px solid var(--lb-border);
    white-space: nowrap;
  }
  .badge.ok {
    background: var(--lb-success-bg);
    border-color: transparent;
  }
  .badge.bad {
    background: var(--lb-danger-bg);
    border-color: transparent;
  }
  dl.facts {
    display: grid;
    grid-template-columns: minmax(10rem, max-content) 1fr;
    gap: 0.5rem 1.25rem;
    margin: 0;
  }
  dl.facts dt {
    color: var(--lb-muted);
  }
  dl.facts dd {
    margin: 0;
  }
  @media (max-width: 560px) {
    dl.facts {
      grid-template-columns: 1fr;
      gap: 0.1rem;
    }
    dl.facts dd {
      margin-bottom: 0.6rem;
    }
  }
  progress {
    width: 100%;
    height: 0.6rem;
    appearance: none;
    border: none;
    border-radius: 999px;
    background: var(--lb-surface-2);
    overflow: hidden;
  }
  progress::-webkit-progress-bar {
    background: var(--lb-surface-2);
    border-radius: 999px;
  }
  progress::-webkit-progress-value {
    background: var(--lb-primary);
    border-radius: 999px;
  }
  dialog {
    border: 1px solid var(--lb-border);
    border-radius: var(--lb-radius);
    background: var(--lb-surface);
    color: var(--lb-text);
    padding: 1.5rem;
    width: min(34rem, calc(100vw - 2rem));
    max-height: calc(100vh - 2rem);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 45%);
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75rem;
    justify-content: flex-end;
    margin-top: 1.25rem;
  }
`;
