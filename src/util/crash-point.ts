// Fault injection for crash-safety tests: when LIFEBOAT_CRASH_AT names this point, the process
// kills itself with SIGKILL right here, exactly like a power cut would stop it. No effect otherwise.

export function crashPoint(name: string): void {
  if (process.env.LIFEBOAT_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
