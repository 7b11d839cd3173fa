// Live progress of the current job: a list of steps (done, in progress, to do, failed), the bytes
// of the step now with its rate and ETA, and a bar per location while copying to locations.
// A finished job stays visible, with its outcome, until dismissed.

import { LitElement, css, html, nothing } from 'lit';
import { formatBytes, formatDuration } from '../format.js';
import { StoreController, type BackupStore } from '../state/backup-store.js';
import { JOB_STEPS, type Job } from '../state/job-tracker.js';
import { S } from '../strings.js';
import { base } from '../styles.js';

export class LbJobProgress extends LitElement {
  static override properties = { store: { attribute: false }, embedded: { type: Boolean } };
  declare store: BackupStore;
  /** Inside a wizard: no card, no title, no outcome (the wizard says it), no dismiss. */
  declare embedded: boolean;
  private readonly storeController = new StoreController(this, () => this.store);

  constructor() {
    super();
    this.embedded = false;
  }

  static override styles = [
    base,
    css`
      ol {
        list-style: none;
        padding: 0;
        margin: 0 0 1rem;
      }
      li {
        display: flex;
        gap: 0.6rem;
        align-items: baseline;
        padding: 0.2rem 0;
      }
      .mark {
        width: 1.3rem;
        flex: none;
        text-align: center;
        font-weight: 700;
      }
      li[data-status='done'] .mark {
        color: var(--lb-success);
      }
      li[data-status='now'] {
        font-weight: 600;
      }
      li[data-status='now'] .mark {
        color: var(--lb-primary);
      }
      li[data-status='todo'] {
        color: var(--lb-muted);
      }
      li[data-status='failed'] .mark {
        color: var(--lb-danger);
      }
      .bytes {
        margin: 0.25rem 0 0.75rem 1.9rem;
      }
      .bytes p {
        margin: 0.25rem 0 0;
        font-size: 0.9rem;
        color: var(--lb-muted);
      }
      .upload {
        margin: 0.25rem 0 0.5rem 1.9rem;
      }
      .upload label {
        display: block;
        font-size: 0.9rem;
      }
      .outcome {
        margin-top: 0.5rem;
      }
      section.embedded {
        border: none;
        box-shadow: none;
        padding: 0;
        margin: 0;
        background: none;
      }
    `,
  ];

  private status(job: Job, step: string): 'done' | 'now' | 'todo' | 'failed' {
    const steps = JOB_STEPS[job.kind];
    const i = steps.indexOf(step);
    const now = steps.indexOf(job.step);
    if (job.state === 'failed' && i === now) return 'failed';
    if (i < now || (job.step === 'finished' && step === 'finished')) return 'done';
    if (i === now) return 'now';
    return 'todo';
  }

  private renderBytes(job: Job) {
    const b = job.bytes;
    if (!b || job.finishedAt !== null) return nothing;
    const label = S.job.detail[b.step] ?? b.step;
    const parts = [S.job.bytes(formatBytes(b.done), b.total !== null ? formatBytes(b.total) : null)];
    if (b.rate) parts.push(S.job.rate(formatBytes(b.rate)));
    if (b.eta !== null) parts.push(S.job.eta(formatDuration(b.eta)));
    return html`<div class="bytes">
      ${b.total ? html`<progress max=${b.total} value=${b.done} aria-label=${label}></progress>` : nothing}
      <p data-testid="job-bytes">${label}: ${parts.join(' · ')}</p>
    </div>`;
  }

  private renderUploads(job: Job) {
    const entries = Object.entries(job.uploads);
    if (entries.length === 0 || job.finishedAt !== null) return nothing;
    return entries.map(([agentId, u]) => {
      const id = `up-${agentId.replace(/[^a-z0-9]/gi, '-')}`;
      return html`<div class="upload">
        <label for=${id}>${S.job.upload(this.store.agentName(agentId))}: ${S.job.bytes(formatBytes(u.uploaded), formatBytes(u.total))}</label>
        <progress id=${id} max=${Math.max(u.total, 1)} value=${u.uploaded}></progress>
      </div>`;
    });
  }

  override render() {
    const job = this.store?.job.current;
    if (!job) return nothing;
    const steps = JOB_STEPS[job.kind];
    const marks = { done: '✓', now: '●', todo: '○', failed: '✕' };
    const words = { done: S.job.stepDone, now: S.job.stepNow, todo: S.job.stepTodo, failed: S.job.stepFailed };
    const finished = job.finishedAt !== null;
    const embedded = this.embedded;
    return html`<section class="card ${embedded ? 'embedded' : ''}" aria-labelledby="job-title" data-testid="job" data-state=${job.state} data-seen=${job.seen.join(' ')} data-peak-bytes=${job.peakBytes}
      data-uploads=${Object.entries(job.uploads).map(([id, u]) => `${id}:${u.uploaded}/${u.total}`).join(' ')}>
      <h2 id="job-title" class=${embedded ? 'sr-only' : ''}>${S.job.title[job.kind]}</h2>
      <ol>
        ${steps.map((step) => {
          const status = this.status(job, step);
          return html`<li data-step=${step} data-status=${status} aria-current=${status === 'now' ? 'step' : 'false'}>
              <span class="mark" aria-hidden="true">${marks[status]}</span>
              <span>${S.job.steps[step]}<span class="sr-only"> (${words[status]})</span></span>
            </li>
            ${status === 'now' && step !== 'upload_to_agents' ? this.renderBytes(job) : nothing}
            ${step === 'upload_to_agents' && status === 'now' ? this.renderUploads(job) : nothing}`;
        })}
      </ol>
      <div role="status" aria-live="polite" class="outcome">
        ${finished && !embedded
          ? job.state === 'failed'
            ? html`<div class="banner error">${S.job.failed(S.reason(job.reason))}</div>`
            : html`<div class="banner success">${S.job.done[job.kind]} ${S.job.elapsed(formatDuration(((job.finishedAt ?? 0) - job.startedAt) / 1000))}</div>`
          : nothing}
      </div>
      ${finished && !embedded
        ? html`<div class="actions">
            <button @click=${() => {
              this.store.job.dismiss();
              this.store.changed();
            }}>${S.job.dismiss}</button>
          </div>`
        : nothing}
    </section>`;
  }
}

customElements.define('lb-job-progress', LbJobProgress);
