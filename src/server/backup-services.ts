// The services of Home Assistant's backup integration that Lifeboat runs, as both APIs call them
// (REST `POST /api/services/backup/<service>`, WebSocket `call_service`): `backup.create` and
// `backup.create_automatic`, each waiting for the whole backup as Home Assistant's blocking call does.

import type { LifeboatCore } from '../core/lifeboat-core.js';

const SERVICES: Record<string, (core: LifeboatCore) => Promise<unknown>> = {
  create: (core) => core.create.service(),
  create_automatic: async (core) => (await core.create.automatic()).done,
};

/** The names of the backup services. */
export const BACKUP_SERVICE_NAMES = Object.keys(SERVICES);

/** The service `<domain>.<service>`, ready to run to its end, or null when Lifeboat has no such service. */
export function backupService(core: LifeboatCore, domain: string, service: string): (() => Promise<unknown>) | null {
  const run = domain === 'backup' && Object.hasOwn(SERVICES, service) ? SERVICES[service] : undefined;
  return run ? () => run(core) : null;
}
