// Structured logs (pino) for the long-running service: JSON lines, or readable lines on a
// terminal; keys named like secrets are redacted wherever they appear, and messages never carry the
// encryption key (callers pass fingerprints, never keys).

import pino from 'pino';
import type { Logger } from '../util/logger.js';

const REDACT = [
  'password',
  'key',
  'encryption_key',
  'token',
  'access_token',
  'secret',
  'authorization',
  '*.password',
  '*.key',
  '*.encryption_key',
  '*.token',
  '*.access_token',
  '*.secret',
  '*.authorization',
  'create_backup.password',
  'config.create_backup.password',
];

export function createPino(options: { level?: string; destination?: NodeJS.WritableStream } = {}): pino.Logger {
  return pino(
    {
      level: options.level ?? process.env.LIFEBOAT_LOG_LEVEL ?? 'info',
      base: { app: 'lifeboat' },
      redact: { paths: REDACT, censor: '**REDACTED**' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination(2),
  );
}

/** Adapts pino to the small Logger interface the rest of Lifeboat uses. */
export function asLogger(log: pino.Logger): Logger {
  return {
    info: (message, fields) => log.info(fields ?? {}, message),
    warn: (message, fields) => log.warn(fields ?? {}, message),
    error: (message, fields) => log.error(fields ?? {}, message),
  };
}
