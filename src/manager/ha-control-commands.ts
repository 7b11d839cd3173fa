// Home Assistant stopped and started by the user's own shell commands (`--stop-command`,
// `--start-command`: `systemctl stop home-assistant`, `docker stop homeassistant`, …). Either may be
// left out; there is nothing to check beforehand.

import type { HaControl } from './ha-control.js';
import { runHook } from './hook-command.js';

export function commandsControl(spec: { stop?: string; start?: string }): HaControl {
  return {
    target: 'the stop and start commands',
    check: async () => undefined,
    stop: async () => {
      if (spec.stop) await runHook(spec.stop, 'stop');
      return true;
    },
    start: async () => {
      if (spec.start) await runHook(spec.start, 'start');
    },
  };
}
