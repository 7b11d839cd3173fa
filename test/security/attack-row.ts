// One row of the security table: an attack, run for real against Lifeboat, that must be refused
// with a clear error and must leave nothing written outside where it belongs. `prove` sets up its
// own installation or server, performs the attack and asserts (with `expect`) both halves.

export interface AttackRow {
  /** What the attacker does, e.g. "DNS rebinding: a request with a foreign Host header". */
  attack: string;
  prove(): Promise<void>;
}
