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
 * Starts Home Assistant when a restore that stopped it died before starting it again; the note goes
 * once it started. Without a control to start it with here (a command line, where `serve` has the
 * Supervisor's), or when starting fails, the note stays for the next start, and someone is told.
 * A note that cannot be read is reported and removed.
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
  if (!parsed?.success) {
    log.warn(`An interrupted restore may have left Home Assistant stopped (${path} cannot be read): make sure it runs`);
    await clearStopping(path);
    return;
  }
  const { target, spec } = parsed.data;
  const control = controlFor(spec);
  if (!control) {
    log.warn(`An interrupted restore left Home Assistant (${target}) stopped, and this command has no way to start it: start Home Assistant yourself, or start \`lifeboat serve\`, which will`);
    return;
  }
  log.warn(`An interrupted restore left Home Assistant (${control.target}) stopped; starting it`);
  try {
    await control.start();
  } catch (err) {
    log.warn('Home Assistant could not be started; Lifeboat tries again at its next start, or start it yourself', { error: (err as Error).message });
    return;
  }
  log.info('Home Assistant started');
  await clearStopping(path);
}
