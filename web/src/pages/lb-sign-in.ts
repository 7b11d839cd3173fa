// Sign-in with an access token: kept for this tab only unless "remember me" is chosen.

import { LitElement, css, html, nothing } from 'lit';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbSignIn extends LitElement {
  static override properties = {
    error: {},
    busy: { type: Boolean },
  };

  declare error: string;
  declare busy: boolean;

  constructor() {
    super();
    this.error = '';
    this.busy = false;
  }

  static override styles = [
    base,
    css`
      .card {
        max-width: 30rem;
        margin: 2rem auto;
      }
      input[type='password'] {
        width: 100%;
      }
      code {
        font-size: 0.85rem;
        background: var(--lb-surface-2);
        padding: 0.05rem 0.35rem;
        border-radius: 4px;
        white-space: nowrap;
      }
    `,
  ];

  private submit(e: SubmitEvent): void {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const token = (form.elements.namedItem('token') as HTMLInputElement).value.trim();
    const remember = (form.elements.namedItem('remember') as HTMLInputElement).checked;
    if (!token) return;
    this.dispatchEvent(new CustomEvent('signin', { detail: { token, remember } }));
  }

  protected override updated(): void {
    if (this.error) (this.renderRoot.querySelector('#token') as HTMLInputElement | null)?.focus();
  }

  override render() {
    return html`<section class="card" aria-labelledby="title">
      <h1 id="title" tabindex="-1">${S.signIn.title}</h1>
      <p>${S.signIn.intro}</p>
      ${this.error ? html`<div class="banner error" role="alert" id="error">${this.error}</div>` : nothing}
      <form @submit=${this.submit} novalidate>
        <div class="field">
          <label for="token">${S.signIn.token}</label>
          <input
            id="token"
            name="token"
            type="password"
            autocomplete="off"
            spellcheck="false"
            required
            aria-describedby="token-hint ${this.error ? 'error' : ''}"
            aria-invalid=${this.error ? 'true' : 'false'}
          />
          <span class="hint" id="token-hint">${S.signIn.tokenHint} <code>${S.signIn.tokenCommand}</code></span>
        </div>
        <label class="check">
          <input type="checkbox" name="remember" aria-describedby="remember-hint" />
          <span>${S.signIn.remember}<br /><span class="hint" id="remember-hint">${S.signIn.rememberHint}</span></span>
        </label>
        <div class="actions">
          <button class="primary" type="submit" ?disabled=${this.busy}>${this.busy ? S.signIn.working : S.signIn.submit}</button>
        </div>
      </form>
    </section>`;
  }
}

customElements.define('lb-sign-in', LbSignIn);
