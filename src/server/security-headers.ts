// The security headers of every response (web UI and API): a Content-Security-Policy that lets the
// page load only its own scripts, styles and images and talk only to its own server (its WebSocket
// included), frames from nowhere (through Home Assistant's ingress: only from its own origin, which
// shows it in an iframe), no <base> and forms only to itself; no framing for old browsers either,
// no MIME sniffing, no Referer (a signed link never leaks through one), and responses that other
// sites may not embed.

/** The headers for a response to a request addressed to `host` (host:port, already allowed), or to an unchecked one (null). */
export function securityHeaders(host: string | null, framedBy: 'none' | 'same-origin' = 'none'): Record<string, string> {
  // 'self' covers the page's own ws:/wss: in current browsers; the explicit origins cover older ones.
  const socket = host ? ` ws://${host} wss://${host}` : '';
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      `connect-src 'self'${socket}`,
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      framedBy === 'none' ? "frame-ancestors 'none'" : "frame-ancestors 'self'",
    ].join('; '),
    'x-frame-options': framedBy === 'none' ? 'DENY' : 'SAMEORIGIN',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
  };
}
