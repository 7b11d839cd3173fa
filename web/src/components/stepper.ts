// A row of numbered steps for the wizards, with the current one marked for screen readers.

import { css, html } from 'lit';

export const stepperStyles = css`
  ol.stepper {
    list-style: none;
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem 1.25rem;
    padding: 0;
    margin: 0 0 1.25rem;
    counter-reset: step;
  }
  ol.stepper li {
    counter-increment: step;
    display: flex;
    align-items: center;
    gap: 0.5rem;
    color: var(--lb-muted);
  }
  ol.stepper li::before {
    content: counter(step);
    display: inline-grid;
    place-items: center;
    width: 1.7rem;
    height: 1.7rem;
    border-radius: 50%;
    border: 2px solid var(--lb-border);
    font-size: 0.85rem;
    font-weight: 600;
  }
  ol.stepper li.done::before {
    content: '✓';
    border-color: var(--lb-success);
    color: var(--lb-success);
  }
  ol.stepper li[aria-current='step'] {
    color: var(--lb-text);
    font-weight: 600;
  }
  ol.stepper li[aria-current='step']::before {
    background: var(--lb-primary);
    border-color: var(--lb-primary);
    color: var(--lb-primary-text);
  }
  @media (max-width: 560px) {
    ol.stepper li:not([aria-current='step']) span {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0, 0, 0, 0);
    }
  }
`;

export function renderStepper(labels: string[], current: number) {
  return html`<ol class="stepper">
    ${labels.map(
      (label, i) => html`<li class=${i < current ? 'done' : ''} aria-current=${i === current ? 'step' : 'false'}><span>${label}</span></li>`,
    )}
  </ol>`;
}
