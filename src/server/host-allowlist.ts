// The names this server answers to, against DNS rebinding: a web page on an attacker's name that
// later resolves to this machine reaches the server with the attacker's name in Host (and in
// Origin), so both are checked against one allowlist instead of against each other. Allowed are
// the loopback names, the address `serve` listens on (unless it is 0.0.0.0 or ::), the names given
// with `--allowed-host` and the `allowed_hosts` setting, and an IP literal that is the very address
// the connection arrived on (a browser sends an IP literal only when the page itself was loaded
// from that address, which no other site can rebind). A LAN name such as `lifeboat.lan` must be
// allowed explicitly, also when listening on every address.

import { isIP } from 'node:net';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);
const EVERY_ADDRESS = new Set(['0.0.0.0', '::', '']);

/** A host name as compared: lower case, no brackets around IPv6, no trailing dot, IPv4 unmapped. */
export function normalHost(name: string): string {
  let host = name.trim().toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.startsWith('::ffff:') && isIP(host.slice(7)) === 4) host = host.slice(7);
  return host;
}

/** `host[:port]` of a Host header or of an Origin, parsed; null when it is not one. */
export function parseHostHeader(header: string | undefined): { hostname: string; host: string } | null {
  if (!header) return null;
  try {
    const url = new URL(`http://${header}`);
    if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) return null;
    return { hostname: normalHost(url.hostname), host: url.host };
  } catch {
    return null;
  }
}

export class HostAllowlist {
  private readonly fixed: Set<string>;
  private readonly listen: string | null;

  /**
   * @param listenHost the address `serve` listens on
   * @param named names given on the command line (`--allowed-host`)
   * @param configured the `allowed_hosts` setting as saved now (read on every check)
   */
  constructor(
    listenHost: string,
    named: readonly string[],
    private readonly configured: () => readonly string[],
  ) {
    const listen = normalHost(listenHost);
    this.listen = EVERY_ADDRESS.has(listen) ? null : listen;
    this.fixed = new Set(named.map(normalHost));
  }

  /** A name the user allowed by name (command line or setting): any port, for a reverse proxy. */
  isNamed(hostname: string): boolean {
    const host = normalHost(hostname);
    return this.fixed.has(host) || this.configured().some((name) => normalHost(name) === host);
  }

  /** Whether a request whose Host names `hostname` and that arrived on `localAddress` is answered. */
  allows(hostname: string, localAddress: string | undefined): boolean {
    const host = normalHost(hostname);
    if (LOOPBACK.has(host) || host === this.listen || this.isNamed(host)) return true;
    return isIP(host) !== 0 && localAddress !== undefined && normalHost(localAddress) === host;
  }
}
