// Where the server is, as the page sees it. `lifeboat serve` serves the page at `/`; through Home
// Assistant's ingress (the add-on) the same page is at `/api/hassio_ingress/<token>/`, and every
// request must keep that prefix, which the proxy strips. So every API, WebSocket, download and
// upload address is made from the folder the page itself was loaded from, never from `/`.

/** The folder the page was loaded from: `http://host:8124/` or `https://ha/api/hassio_ingress/<token>/`. */
function pageFolder(): URL {
  return new URL('.', location.href);
}

/** A server path (`/api/…`, as the server names it) as the page must ask for it. */
export function serverPath(path: string): string {
  return `${pageFolder().pathname}${path.replace(/^\/+/, '')}`;
}

/** The server's address for Home Assistant's WebSocket library (which appends `/api/websocket`). */
export function serverUrl(): string {
  return pageFolder().href.replace(/\/+$/, '');
}
