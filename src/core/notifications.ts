// Notifications as a use case: a test message through the configured channels.

import type { DeliveryResult } from './notifier.js';
import type { CoreParts } from './parts.js';

export class Notifications {
  constructor(private readonly parts: CoreParts) {}

  /** Whether any channel (webhook, ntfy) is configured. */
  get configured(): boolean {
    const n = this.parts.settings.config.notifications;
    return Boolean(n.webhook_url || n.ntfy_url);
  }

  test(): Promise<DeliveryResult[]> {
    return this.parts.notifier.send(this.parts.settings.config.notifications, {
      kind: 'test',
      title: 'Lifeboat test notification',
      message: 'Notifications from Lifeboat reach you.',
      priority: 'default',
      data: {},
    });
  }
}
