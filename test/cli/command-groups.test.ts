import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMAND_GROUPS, commandGroupsFor, commandName } from '../../src/cli/command-groups.js';

describe('command groups', () => {
  it('finds the command after the global options', () => {
    expect(commandName(['archive', 'pack', 'x'])).toBe('archive');
    expect(commandName(['-c', 'archive', 'backup', 'list'])).toBe('backup');
    expect(commandName(['--data', '/d', '-v', 'token', 'list'])).toBe('token');
    expect(commandName(['--config=/c', 'serve'])).toBe('serve');
    expect(commandName(['-vc', 'archive', 'status'])).toBe('status');
    expect(commandName(['--help'])).toBeUndefined();
  });

  it('loads only the group that registers the command, or all of them', () => {
    expect(commandGroupsFor(['archive', 'unpack']).map((g) => g.commands[0])).toEqual(['archive']);
    expect(commandGroupsFor(['key', 'show']).map((g) => g.commands[0])).toEqual(['settings']);
    expect(commandGroupsFor(['--help'])).toBe(COMMAND_GROUPS);
    expect(commandGroupsFor(['help', 'archive'])).toBe(COMMAND_GROUPS);
    expect(commandGroupsFor(['no-such-command'])).toBe(COMMAND_GROUPS);
  });

  it('lists every top-level command each group registers', async () => {
    for (const group of COMMAND_GROUPS) {
      const program = new Command();
      (await group.load())(program);
      expect(program.commands.map((c) => c.name()).sort()).toEqual([...group.commands].sort());
    }
  });
});
