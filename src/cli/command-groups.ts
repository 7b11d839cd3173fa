// The CLI's command groups, each loaded on demand: a command loads only the module of its own
// group (so `lifeboat archive …` never loads the application, its settings schemas or their
// libraries); help without a command, and anything unrecognised, loads them all.

import type { Command } from 'commander';

export interface CommandGroup {
  /** The top-level commands the group registers. */
  commands: readonly string[];
  load: () => Promise<(program: Command) => void>;
}

/** In the order their commands appear in the help. */
export const COMMAND_GROUPS: readonly CommandGroup[] = [
  { commands: ['backup', 'restore'], load: async () => (await import('./backup-commands.js')).registerBackupCommands },
  {
    commands: ['settings', 'key', 'status', 'retention', 'notify'],
    load: async () => (await import('./settings-commands.js')).registerSettingsCommands,
  },
  { commands: ['serve'], load: async () => (await import('./serve-command.js')).registerServeCommand },
  { commands: ['token'], load: async () => (await import('./token-commands.js')).registerTokenCommands },
  { commands: ['location'], load: async () => (await import('./location-commands.js')).registerLocationCommands },
  { commands: ['mqtt'], load: async () => (await import('./mqtt-commands.js')).registerMqttCommands },
  { commands: ['archive'], load: async () => (await import('./archive-commands.js')).registerArchiveCommands },
  { commands: ['demo'], load: async () => (await import('./demo-commands.js')).registerDemoCommands },
];

/** Global options that take a value (`-c dir`, `--data dir`). */
const VALUE_OPTIONS = new Set(['-c', '--config', '-d', '--data']);

/** The command named by the arguments after the program's own (global options skipped), if any. */
export function commandName(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') return args[i + 1];
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (/^-[a-zA-Z]*[cd]$/.test(arg)) i++; // combined short flags ending in one that takes a value
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The groups needed for these arguments: the one that registers the named command, or all. */
export function commandGroupsFor(args: readonly string[]): readonly CommandGroup[] {
  const name = commandName(args);
  const group = COMMAND_GROUPS.find((g) => name !== undefined && g.commands.includes(name));
  return group ? [group] : COMMAND_GROUPS;
}
