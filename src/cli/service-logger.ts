// Structured logs (pino) for the long-running service: JSON lines, or readable lines on a
// terminal. Every record — its fields at any depth and its message — goes through the one log
// redaction (util/log-redaction.ts) before it is written, whoever logs it; messages never carry the
// encryption key (callers pass fingerprints, never keys).

import pino from 'pino';
import type { Logger } from '../util/logger.js';
import { redactFields, redactText } from '../util/log-redaction.js';

const maskBindings = (bindings: pino.Bindings) => redactFields(bindings);

export function createPino(options: { level?: string; destination?: NodeJS.WritableStream } = {}): pino.Logger {
  const log = pino(
    {
      level: options.level ?? process.env.LIFEBOAT_LOG_LEVEL ?? 'info',
      base: { app: 'lifeboat' },
      formatters: { log: (record) => redactFields(record), bindings: maskBindings },
      hooks: {
        logMethod(args, method) {
          const masked = args.map((a: unknown) => (typeof a === 'string' ? redactText(a) : a)) as Parameters<typeof method>;
          method.apply(this, masked);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
  // pino formats a child's bindings without the root's bindings formatter: every child (children
  // inherit this method) is given it explicitly.
  const child = log.child;
  log.child = function maskedChild(this: pino.Logger, bindings, childOptions) {
    return child.call(this, bindings, { ...childOptions, formatters: { bindings: maskBindings, ...childOptions?.formatters } });
  } as typeof log.child;
  return log;
}

/** Adapts pino to the small Logger interface the rest of Lifeboat uses. */
export function asLogger(log: pino.Logger): Logger {
  return {
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}
