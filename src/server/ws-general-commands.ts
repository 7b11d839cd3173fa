// Home Assistant's general WebSocket commands, as far as Lifeboat stands in for Home Assistant,
// so its clients (the frontend, home-assistant-js-websocket, dashboards) work unchanged: entity
// states (get_states, subscribe_events for state_changed, subscribe_entities with its compressed
// messages), the configuration (get_config), the services (get_services, call_service for the
// backup services) and the signed-in user (auth/current_user).

import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { LifeboatCore } from '../core/lifeboat-core.js';
import type { EntityState, StateChange } from '../core/types.js';
import { ApiError } from './api-errors.js';
import { backupService } from './backup-services.js';
import { addedStates, changeMessage } from './compressed-states.js';
import { haConfig, haCurrentUser, haServices } from './ha-config.js';
import { command, HA_VERSION_STRING, type Command } from './ws-protocol.js';

const none = z.object({});

function stateChangedEvent(change: StateChange) {
  return {
    event_type: 'state_changed',
    data: { entity_id: change.entity_id, old_state: change.old_state, new_state: change.new_state },
    origin: 'LOCAL',
    time_fired: change.new_state.last_updated,
    context: change.new_state.context,
  };
}

export function generalCommands(core: LifeboatCore): Command[] {
  return [
    command({ type: 'get_states', schema: none, readOnly: true, handler: () => core.status.entities() }),
    command({
      type: 'subscribe_events',
      schema: z.object({ event_type: z.string().optional() }),
      readOnly: true,
      handler: (m, ctx) => {
        if (m.event_type !== undefined && m.event_type !== 'state_changed') {
          ctx.onUnsubscribe(() => undefined); // no such events happen here, but the subscription exists
          return null;
        }
        ctx.onUnsubscribe(core.status.onEntityChange((c) => ctx.sendEvent(stateChangedEvent(c))));
        return null;
      },
    }),
    command({
      type: 'subscribe_entities',
      schema: z.object({ entity_ids: z.array(z.string()).optional() }),
      readOnly: true,
      handler: (m, ctx) => {
        const wanted = (entityId: string) => m.entity_ids === undefined || m.entity_ids.includes(entityId);
        // Changes count from the first message on, which follows the result and holds every state.
        let started = false;
        ctx.onUnsubscribe(core.status.onEntityChange((c) => started && wanted(c.entity_id) && ctx.sendEvent(changeMessage(c))));
        ctx.afterResult(() => {
          started = true;
          ctx.sendEvent(addedStates(core.status.entities().filter((s: EntityState) => wanted(s.entity_id))));
        });
        return null;
      },
    }),
    command({
      type: 'get_config',
      schema: none,
      readOnly: true,
      handler: async () =>
        haConfig({
          installation: await core.status.installationSettings(),
          configDir: core.status.installation,
          timeZone: core.settings.timeZone,
          version: HA_VERSION_STRING,
        }),
    }),
    command({ type: 'get_services', schema: none, readOnly: true, handler: () => haServices() }),
    command({
      type: 'call_service',
      schema: z.object({
        domain: z.string(),
        service: z.string(),
        service_data: z.record(z.string(), z.unknown()).optional(),
        target: z.unknown().optional(),
        return_response: z.boolean().optional(),
      }),
      handler: async (m, ctx) => {
        const run = backupService(core, m.domain, m.service);
        if (!run) throw new ApiError('not_found', `Service ${m.domain}.${m.service} not found.`);
        if (m.return_response) throw new ApiError('service_validation_error', `Validation error: ${m.domain}.${m.service} returns no response`);
        await run();
        return { context: { id: randomBytes(13).toString('hex').toUpperCase(), parent_id: null, user_id: ctx.token.id } };
      },
    }),
    command({ type: 'auth/current_user', schema: none, readOnly: true, handler: (_m, ctx) => haCurrentUser(ctx.token) }),
  ];
}
