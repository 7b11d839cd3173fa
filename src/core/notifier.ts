// What the application needs to send a notification: a notifier given to it when it is built
// (the service's sends webhooks and ntfy messages; tests record them). The application decides
// what to say and when (notification-rules.ts); the notifier only delivers.

import type { NotificationSettings } from '../settings/schemas.js';

export type NotificationKind = 'automatic_backup_failed' | 'location_failing' | 'no_recent_success' | 'test';

export interface Notification {
  kind: NotificationKind;
  title: string;
  message: string;
  priority: 'default' | 'high';
  /** Extra facts for machines (reason, agent ids, backup id …). */
  data: Record<string, unknown>;
}

export interface DeliveryResult {
  channel: 'webhook' | 'ntfy';
  ok: boolean;
  error?: string;
}

export interface Notifier {
  /** Delivers `n` through the channels `settings` configures; failures are results, never thrown. */
  send(settings: NotificationSettings, n: Notification): Promise<DeliveryResult[]>;
}

/** Sends nothing (a command that has no notifier). */
export const silentNotifier: Notifier = { send: async () => [] };
