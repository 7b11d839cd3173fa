// The small logging interface every room writes to (the service adapts pino to it; commands print
// to stderr; tests stay silent). Messages say what happened; fields never carry secrets.

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
