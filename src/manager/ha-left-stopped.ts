// A restore that stops Home Assistant starts it again, after a failed swap too. When the restore
// itself dies between the two (killed, out of memory, Lifeboat's container restarted), nothing
// would: a container stopped through Docker stays stopped. So the stop is noted in the data folder
// before it happens, with how to start Home Assistant again (the control's settings, or none for
// the control Lifeboat is given, such as the Supervisor), and the note goes once the restore
// started it. Lifeboat's next start, once the interrupted swap is settled, starts Home Assistant.

import { readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/durable-fs.js';
import type { Logger } from '../util/logger.js';
import type { HaControl, HaControlSpec } from './ha-control.js';

const SpecSchema = z.union([
  z.object({ kind: z.literal('commands'), stop: z.string().optional(), start: z.string().optional() }),
  z.object({ kind: z.literal('docker'), container: z.string(), socket: z.string().optional(), stopTimeoutSeconds: z.number().optional() }),
]);

const NoteSchema = z.object({
  version: z.literal(1),
  /** What was stopped, for messages. */
  target: z.string(),
  /** The settings of the control that stopped it; null for the control Lifeboat is given. */
  spec: SpecSchema.nullable(),
  at: z.string(),
});

/** Makes the control that starts Home Assistant again: from its settings, or (null) the one Lifeboat is given; null when there is none. */
export type ControlFor = (spec: HaControlSpec | null) => HaControl | null;

/** Notes, durably, that Home Assistant is about to be stopped by `control`. */
export async function noteStopping(path: string, control: HaControl, at: Date): Promise<void> {
  const note: z.infer<typeof NoteSchema> = { version: 1, target: control.target, spec: control.spec ?? null, at: at.toISOString() };
  await writeJsonAtomic(path, note, 0o600);
}

/** Home Assistant runs again (or was never stopped): the note goes. */
export async function clearStopping(path: string): Promise<void> {
  await rm(path, { force: true });
}

/**
 * Starts Home Assistant when a restore that stopped it died before starting it again. A note that
 * cannot be read, or no control to start it with, is reported so that someone starts it by hand.
 */
export async function startIfLeftStopped(path: string, controlFor: ControlFor, log: Logger): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return;
  }
  let parsed;
  try {
    parsed = NoteSchema.safeParse(JSON.parse(text));
  } catch {
    parsed = null;
  }
  const control = parsed?.success ? controlFor(parsed.data.spec) : null;
  if (!parsed?.success || !control) {
    const target = parsed?.success ? ` (${parsed.data.target})` : '';
    log.warn(`An interrupted restore left Home Assistant${target} stopped, and Lifeboat has no way to start it here: start Home Assistant yourself`);
  } else {
    log.warn(`An interrupted restore left Home Assistant (${control.target}) stopped; starting it`);
    try {
      await control.start();
      log.info('Home Assistant started');
    } catch (err) {
      log.warn('Home Assistant could not be started: start it yourself', { error: (err as Error).message });
    }
  }
  await clearStopping(path);
}
