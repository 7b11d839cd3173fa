// Home Assistant Core stopped and started around a restore's swap by the Supervisor (the add-on):
// the restore job's Home Assistant control (see HaControl), made of `POST /core/stop` and
// `POST /core/start`. Before anything is touched, `GET /core/info` proves the Supervisor answers
// and lets this add-on call it.

import { HaControlError, type HaControl } from '../core/types.js';
import type { SupervisorClient } from './supervisor-client.js';

export function supervisorControl(supervisor: SupervisorClient): HaControl {
  return {
    target: 'Home Assistant Core, through the Supervisor',
    async check() {
      try {
        await supervisor.coreInfo();
      } catch (err) {
        throw new HaControlError(`Home Assistant cannot be stopped for the restore: ${(err as Error).message}`, 'home_assistant_unavailable');
      }
    },
    async stop() {
      try {
        await supervisor.stopCore();
      } catch (err) {
        throw new HaControlError(`Home Assistant could not be stopped for the restore, so nothing was replaced: ${(err as Error).message}`, 'stop_failed');
      }
      return true;
    },
    async start() {
      try {
        await supervisor.startCore();
      } catch (err) {
        throw new HaControlError(`Home Assistant could not be started again; start it from the Settings → System page or with \`ha core start\`: ${(err as Error).message}`, 'start_failed');
      }
    },
  };
}
