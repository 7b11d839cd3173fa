// Makes the Home Assistant control the user configured (see ha-control.ts): the one place where
// a setting becomes an implementation.

import type { Logger } from '../util/logger.js';
import { commandsControl } from './ha-control-commands.js';
import { dockerControl } from './ha-control-docker.js';
import type { HaControl, HaControlSpec } from './ha-control.js';

/** The control for a spec; null when Home Assistant is to be left alone (none of the options given). */
export function haControlFor(spec: HaControlSpec | null | undefined, log: Logger): HaControl | null {
  if (!spec) return null;
  switch (spec.kind) {
    case 'commands':
      return spec.stop || spec.start ? { ...commandsControl(spec), spec } : null;
    case 'docker':
      return { ...dockerControl({ ...spec, log }), spec };
  }
}
