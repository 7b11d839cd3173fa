// The encryption-key input of the restore wizard and of onboarding: label, hint, the fingerprint
// of what was typed (to compare with the one the backup needs), and the error when the key was
// refused, tied to the input for screen readers.

import { css, html, nothing } from 'lit';
import { S } from '../strings.js';

export const keyFieldStyles = css`
  #key {
    width: 100%;
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: clamp(0.8rem, 3.5vw, 1rem);
    padding-left: 0.5rem;
    padding-right: 0.5rem;
  }
  #key-error {
    margin: 0.5rem 0 0;
  }
`;

/** `needed` is the fingerprint the backup needs, when it is known. */
export function keyField(opts: { value: string; fingerprint: string | null; needed: string | null; error: string; onInput: (value: string) => void }) {
  const fp = opts.fingerprint;
  const typed = !fp ? '' : !opts.needed ? S.restore.typedFingerprint(fp) : fp === opts.needed ? S.restore.typedMatches(fp) : S.restore.typedDiffers(fp);
  return html`<div class="field">
    <label for="key">${S.restore.keyInput}</label>
    <input
      id="key"
      type="text"
      autocomplete="off"
      spellcheck="false"
      autocapitalize="characters"
      .value=${opts.value}
      @input=${(e: Event) => opts.onInput((e.target as HTMLInputElement).value)}
      aria-describedby="key-hint key-fp${opts.error ? ' key-error' : ''}"
      aria-invalid=${opts.error ? 'true' : 'false'}
    />
    <span class="hint" id="key-hint">${S.restore.keyHint}</span>
    <span class="hint" id="key-fp" aria-live="polite">${typed}</span>
    ${opts.error ? html`<div class="banner error" role="alert" id="key-error" data-testid="key-error">${opts.error}</div>` : nothing}
  </div>`;
}
