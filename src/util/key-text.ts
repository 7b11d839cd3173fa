// Reading Home Assistant's backup key where people keep it: the key's format (7 groups of 4
// symbols from A–Z and 0–9, joined by dashes), found on a line of its own in an emergency kit or a
// password file. What the emergency commands need to open a backup with `--password-file`.

export const KEY_RE = /^[A-Z0-9]{4}(?:-[A-Z0-9]{4}){6}$/;

/** A key found in a text, e.g. an emergency kit or a password file. */
export function findKeyInText(text: string): string | null {
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  return lines.find((l) => KEY_RE.test(l)) ?? null;
}
