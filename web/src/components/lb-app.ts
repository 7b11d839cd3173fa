// The application shell: decides between onboarding (empty installation, no token yet), sign-in
// and the signed-in pages (at once when Home Assistant's ingress proxy signed the page in); holds the
// connection and the store; routes by the URL hash; moves focus to each page's heading; shows
// notices in a live region and a banner while reconnecting.

import { LitElement, css, html, nothing, type PropertyValues } from 'lit';
import { AuthError, Connection } from '../api/connection.js';
import { HttpError, onboardingInfo, redeemSignInLink, signedInByProxy, signInLinkCode, tokenStorage } from '../api/http.js';
import type { OnboardingInfo } from '../api/types.js';
import { BackupStore, StoreController } from '../state/backup-store.js';
import { S } from '../strings.js';
import { base, theme } from '../styles.js';
import { parseRoute, type Route } from './route.js';

type Phase = 'loading' | 'onboarding' | 'signin' | 'ready';

export class LbApp extends LitElement {
  static override properties = {
    phase: { state: true },
    route: { state: true },
    signInError: { state: true },
    signingIn: { state: true },
    onboarding: { state: true },
  };

  declare phase: Phase;
  declare route: Route;
  declare signInError: string;
  declare signingIn: boolean;
  declare onboarding: OnboardingInfo | null;
  store: BackupStore | null = null;
  /** Signed in by Home Assistant's ingress proxy: there is no token, and nothing to sign out of. */
  private viaProxy = false;
  private readonly storeController = new StoreController(this, () => this.store);
  private routeChanged = false;

  constructor() {
    super();
    this.phase = 'loading';
    this.route = parseRoute(location.hash);
    this.signInError = '';
    this.signingIn = false;
    this.onboarding = null;
    window.addEventListener('hashchange', () => {
      this.route = parseRoute(location.hash);
      this.routeChanged = true;
    });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.boot();
  }

  private async boot(): Promise<void> {
    const code = signInLinkCode(location.hash);
    if (code) {
      // The code works once: take it out of the address (and the history) before using it.
      history.replaceState(null, '', `${location.pathname}${location.search}#/`);
      this.route = parseRoute(location.hash);
      try {
        await this.connect(await redeemSignInLink(code), false);
        if (this.phase === 'ready') return;
      } catch (err) {
        this.signInError = err instanceof HttpError && err.status === 429 ? S.signIn.locked : S.signIn.linkSpent;
        this.phase = 'signin';
        return;
      }
    }
    if (await signedInByProxy().catch(() => false)) {
      this.viaProxy = true;
      await this.connect('', null);
      if (this.phase === 'ready') return;
      this.viaProxy = false;
    }
    const token = tokenStorage.load();
    if (token) {
      await this.connect(token, null);
      if (this.phase === 'ready') return;
    }
    try {
      const info = await onboardingInfo();
      if (info) {
        this.onboarding = info;
        this.phase = 'onboarding';
        return;
      }
    } catch {
      /* not reachable: the sign-in page says so when used */
    }
    this.phase = 'signin';
  }

  private async connect(token: string, remember: boolean | null): Promise<void> {
    this.signingIn = true;
    this.signInError = '';
    let connection: Connection | null = null;
    try {
      connection = await Connection.open(token);
      const store = new BackupStore(connection, token);
      await store.start();
      // Refused on reconnecting: the token was revoked.
      connection.on('reconnect-error', () => this.signOut(S.signIn.invalid));
      if (remember !== null) tokenStorage.save(token, remember);
      this.store = store;
      this.phase = 'ready';
      this.routeChanged = true;
    } catch (err) {
      connection?.close();
      if (err instanceof AuthError) {
        tokenStorage.clear();
        this.signInError = err.locked ? S.signIn.locked : S.signIn.invalid;
      } else this.signInError = S.signIn.unreachable;
      this.phase = 'signin';
    } finally {
      this.signingIn = false;
    }
  }

  private signOut(message = ''): void {
    tokenStorage.clear();
    this.store?.connection.close();
    this.store = null;
    this.signInError = message;
    this.phase = 'signin';
  }

  protected override updated(changed: PropertyValues): void {
    if ((this.routeChanged || changed.has('phase')) && this.phase !== 'loading') {
      this.routeChanged = false;
      void this.focusHeading();
    }
  }

  /** After navigation, focus goes to the new page's heading (screen readers announce it). */
  private async focusHeading(): Promise<void> {
    const page = this.renderRoot.querySelector('#main > :not(.banner)') as LitElement | null;
    if (!page) return;
    await page.updateComplete;
    const heading = page.shadowRoot?.querySelector('h1') as HTMLElement | null;
    heading?.focus();
    document.title = `${heading?.textContent?.trim() ?? S.app.name} – ${S.app.name}`;
  }

  static override styles = [
    theme,
    base,
    css`
      :host {
        min-height: 100vh;
        background: var(--lb-bg);
      }
      .skip {
        position: absolute;
        left: -999px;
        top: 0.5rem;
        background: var(--lb-surface);
        padding: 0.5rem 1rem;
        z-index: 10;
      }
      .skip:focus {
        left: 0.5rem;
      }
      header {
        background: var(--lb-surface);
        border-bottom: 1px solid var(--lb-border);
      }
      .bar {
        max-width: 68rem;
        margin: 0 auto;
        padding: 0.6rem 1.25rem;
        display: flex;
        align-items: center;
        gap: 1.5rem;
        flex-wrap: wrap;
      }
      .brand {
        display: flex;
        flex-direction: column;
        line-height: 1.2;
        margin-right: auto;
      }
      .brand strong {
        font-size: 1.15rem;
      }
      .brand span {
        font-size: 0.85rem;
        color: var(--lb-muted);
      }
      nav ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: flex;
        gap: 0.25rem;
      }
      nav a {
        display: inline-flex;
        align-items: center;
        min-height: 44px;
        padding: 0 0.9rem;
        border-radius: 8px;
        color: var(--lb-text);
        text-decoration: none;
        font-weight: 500;
      }
      nav a[aria-current='page'] {
        background: var(--lb-primary-soft);
        color: var(--lb-primary);
        font-weight: 600;
      }
      main {
        max-width: 68rem;
        margin: 0 auto;
        padding: 1.5rem 1.25rem 4rem;
      }
      .notices {
        position: fixed;
        bottom: 1rem;
        left: 50%;
        transform: translateX(-50%);
        display: flex;
        flex-direction: column;
        gap: 0.5rem;
        z-index: 20;
        width: min(30rem, calc(100vw - 2rem));
      }
      .notice {
        background: var(--lb-text);
        color: var(--lb-bg);
        border-radius: 8px;
        padding: 0.75rem 1rem;
        display: flex;
        justify-content: space-between;
        gap: 1rem;
        align-items: center;
      }
      .notice.error {
        background: var(--lb-danger);
        color: #fff;
      }
      .notice button {
        min-height: 32px;
        padding: 0.2rem 0.6rem;
        background: transparent;
        color: inherit;
        border-color: currentColor;
      }
      @media (max-width: 640px) {
        .bar {
          gap: 0.5rem;
          padding: 0.5rem 0.75rem;
        }
        nav {
          order: 3;
          width: 100%;
          overflow-x: auto;
        }
        nav ul {
          justify-content: space-between;
        }
        nav li {
          flex: 1;
        }
        nav a {
          justify-content: center;
          width: 100%;
        }
        main {
          padding: 1rem 0.75rem 4rem;
        }
      }
    `,
  ];

  private renderHeader() {
    const current = ['details', 'files', 'restore'].includes(this.route.page) ? 'backups' : this.route.page;
    const link = (page: 'overview' | 'backups' | 'settings', href: string) =>
      html`<li><a href=${href} aria-current=${current === page ? 'page' : 'false'}>${S.pages[page]}</a></li>`;
    return html`<header>
      <div class="bar">
        <div class="brand"><strong>${S.app.name}</strong><span>${S.app.tagline}</span></div>
        ${this.phase === 'ready'
          ? html`<nav aria-label=${S.app.nav}>
                <ul>
                  ${link('overview', '#/')} ${link('backups', '#/backups')} ${link('settings', '#/settings')}
                </ul>
              </nav>
              ${this.viaProxy ? nothing : html`<button class="link" @click=${() => this.signOut()}>${S.app.signOut}</button>`}`
          : nothing}
      </div>
    </header>`;
  }

  private renderPage() {
    const store = this.store as BackupStore;
    const r = this.route;
    switch (r.page) {
      case 'backups':
        return html`<lb-backups-page .store=${store}></lb-backups-page>`;
      case 'details':
        return html`<lb-backup-details .store=${store} .backupId=${r.backupId}></lb-backup-details>`;
      case 'restore':
        return html`<lb-restore-wizard .store=${store} .backupId=${r.backupId} .paths=${r.paths}></lb-restore-wizard>`;
      case 'files':
        return html`<lb-backup-files .store=${store} .backupId=${r.backupId}></lb-backup-files>`;
      case 'settings':
        return html`<lb-settings-page .store=${store}></lb-settings-page>`;
      default:
        return html`<lb-overview .store=${store}></lb-overview>`;
    }
  }

  private renderMain() {
    switch (this.phase) {
      case 'loading':
        return html`<p role="status">${S.app.loading}</p>`;
      case 'onboarding':
        return html`<lb-onboarding .info=${this.onboarding} @signin=${() => (this.phase = 'signin')}></lb-onboarding>`;
      case 'signin':
        return html`<lb-sign-in
          .error=${this.signInError}
          .busy=${this.signingIn}
          @signin=${(e: CustomEvent<{ token: string; remember: boolean }>) => void this.connect(e.detail.token, e.detail.remember)}
        ></lb-sign-in>`;
      default:
        return this.renderPage();
    }
  }

  override render() {
    const store = this.store;
    return html`<a class="skip" href="#main" @click=${(e: Event) => {
        e.preventDefault();
        void this.focusHeading();
      }}>${S.app.skip}</a>
      ${this.renderHeader()}
      <main id="main">
        ${store && !store.connection.connected ? html`<div class="banner warning" role="alert">${S.app.reconnecting}</div>` : nothing}
        ${this.renderMain()}
      </main>
      <div class="notices" role="status" aria-live="polite">
        ${(store?.notices ?? []).map(
          (n) => html`<div class="notice ${n.kind}">
            <span>${n.text}</span><button @click=${() => store?.dismiss(n.id)} aria-label=${S.app.close}>×</button>
          </div>`,
        )}
      </div>`;
  }
}

customElements.define('lb-app', LbApp);
