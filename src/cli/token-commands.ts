// `lifeboat token create|list|revoke`: long-lived access tokens for the API.

import type { Command } from 'commander';
import { openTokens, type TokenStore } from '../core/tokens.js';
import { dataOf, globals, installationOf, stderrLogger } from './context.js';
import { UsageError } from './common.js';

function store(cmd: Command): Promise<TokenStore> {
  const g = globals(cmd);
  return openTokens(installationOf(g), dataOf(g), stderrLogger(g.verbose));
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('access tokens for the API and the web UI');
  token
    .command('create')
    .description('create a token and print it (only now: it is stored hashed)')
    .argument('<name>', 'what the token is for, e.g. "home-assistant"')
    .option('--read-only', 'the token may only read (states, metrics, backup lists)')
    .action(async (name: string, opts: { readOnly?: boolean }, cmd: Command) => {
      const { token: value } = await (await store(cmd)).create(name, opts.readOnly ? 'read' : 'admin');
      process.stdout.write(`${value}\n`);
    });
  token
    .command('list')
    .description('list tokens (names and ids, never the tokens)')
    .option('--json', 'print as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = await (await store(cmd)).list();
      if (opts.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      else if (list.length === 0) process.stdout.write('No tokens.\n');
      else for (const t of list) process.stdout.write(`${t.id}  ${t.name}  ${t.scope}  created ${t.created_at}\n`);
    });
  token
    .command('revoke')
    .description('revoke a token by id or name')
    .argument('<id-or-name>')
    .action(async (idOrName: string, _opts: unknown, cmd: Command) => {
      if (!(await (await store(cmd)).revoke(idOrName))) throw new UsageError(`No token ${idOrName}`);
      process.stdout.write(`Revoked ${idOrName}\n`);
    });
}
