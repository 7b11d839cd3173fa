// What the APIs and the logs show in place of a secret: one marker, which a client may also send
// back to mean "keep the saved value". Free of Node.js, so the web UI's schemas can name it too.

export const REDACTED = '**REDACTED**';
