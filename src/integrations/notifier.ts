// Sends notifications through the configured channels: a generic webhook (a JSON POST) and ntfy
// (a POST to the topic URL with ntfy's Title / Priority / Tags headers). Delivery failures are
// reported to the caller and logged, never thrown into a backup. This is the notifier the
// application is given by the commands and the service.

import type { Clock, DeliveryResult, Notification, NotificationSettings, Notifier } from '../core/types.js';
import { nowDate, systemClock } from '../core/types.js';

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ ok: boolean; status: number }>;

/** Header values must be ASCII for ntfy; anything else is replaced. */
const ascii = (text: string) => text.replace(/[^\x20-\x7e]/g, '?');

export async function sendNotification(
  settings: NotificationSettings,
  n: Notification,
  fetchImpl: FetchLike = fetch as unknown as FetchLike,
  clock: Clock = systemClock,
): Promise<DeliveryResult[]> {
  const jobs: Promise<DeliveryResult>[] = [];
  const deliver = async (channel: DeliveryResult['channel'], url: string, headers: Record<string, string>, body: string) => {
    try {
      const res = await fetchImpl(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(15_000) });
      return res.ok ? { channel, ok: true } : { channel, ok: false, error: `HTTP ${res.status}` };
    } catch (err) {
      return { channel, ok: false, error: (err as Error).message };
    }
  };
  if (settings.webhook_url) {
    const body = JSON.stringify({ source: 'lifeboat', kind: n.kind, title: n.title, message: n.message, priority: n.priority, sent_at: nowDate(clock).toISOString(), ...n.data });
    jobs.push(deliver('webhook', settings.webhook_url, { 'content-type': 'application/json' }, body));
  }
  if (settings.ntfy_url) {
    jobs.push(
      deliver('ntfy', settings.ntfy_url, {
        'content-type': 'text/plain; charset=utf-8',
        title: ascii(n.title),
        priority: n.priority === 'high' ? 'high' : 'default',
        tags: n.kind === 'test' ? 'white_check_mark' : 'warning,floppy_disk',
      }, n.message),
    );
  }
  return Promise.all(jobs);
}

/** The notifier of the commands and the service: webhooks and ntfy over HTTP. */
export function httpNotifier(fetchImpl?: FetchLike, clock: Clock = systemClock): Notifier {
  return { send: (settings, n) => sendNotification(settings, n, fetchImpl, clock) };
}
