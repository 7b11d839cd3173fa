// "Saving… / Saved / error" for settings that save as soon as they change, announced politely.

import { css, html, type ReactiveControllerHost } from 'lit';
import { S } from '../../strings.js';

export const saveStatusStyles = css`
  .save-status {
    font-size: 0.9rem;
    color: var(--lb-muted);
    min-height: 1.5rem;
  }
  .save-status.error {
    color: var(--lb-danger);
  }
`;

export class SaveStatus {
  private state: 'idle' | 'saving' | 'saved' | 'error' = 'idle';
  private message = '';
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly host: ReactiveControllerHost) {}

  /** Runs a save; false when it failed (the error is shown). */
  async run(work: () => Promise<unknown>): Promise<boolean> {
    this.set('saving');
    try {
      await work();
      this.set('saved');
      return true;
    } catch (err) {
      this.set('error', (err as Error).message);
      return false;
    }
  }

  private set(state: SaveStatus['state'], message = ''): void {
    this.state = state;
    this.message = message;
    if (this.timer) clearTimeout(this.timer);
    if (state === 'saved') this.timer = setTimeout(() => this.set('idle'), 4000);
    this.host.requestUpdate();
  }

  render() {
    const text = this.state === 'saving' ? S.app.saving : this.state === 'saved' ? S.app.saved : this.state === 'error' ? S.app.error(this.message) : '';
    return html`<span class="save-status ${this.state === 'error' ? 'error' : ''}" role="status" aria-live="polite">${text}</span>`;
  }
}
