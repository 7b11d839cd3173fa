// Where `lifeboat serve` listens unless told otherwise: this machine only, on the port next to
// Home Assistant's own 8123.

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8124;
