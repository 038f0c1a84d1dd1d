import type { Command } from './command.js';

const GLOBAL_HELP = [
  '--prefix <prefix>      key prefix, e.g. acme (or KEYWARD_PREFIX); required except for scan',
  '--pepper-file <path>   file holding the HMAC pepper (- reads standard input), or set KEYWARD_PEPPER;',
  '                       a string, or JSON {"current","peppers"}. --pepper <value> is refused',
  '--db <path>            SQLite file (or KEYWARD_DB; default ./keyward.db)',
  '--store <url>          redis://… or postgres://… instead of SQLite (or KEYWARD_STORE)',
  '--environments <a,b>   the environments the deployment accepts (or KEYWARD_ENVIRONMENTS;',
  '                       default live,test): what verify takes, the first is create’s default',
  '--publishable-scopes <a,b>  scopes a publishable key may hold (or KEYWARD_PUBLISHABLE_SCOPES;',
  '                       default none), as the deployment’s publishableScopes',
  '-h, --help             show help',
];

const EXIT_HELP = [
  '0  success (scan: nothing found; verify: key accepted)',
  '1  scan found a key, verify rejected the key, review found something, or audit verify found tampering',
  '2  usage error (bad flag, bad value, missing prefix, invalid CIDR…)',
  '3  no key with that id',
  '4  store error (cannot open, connect, read or write)',
];

const indent = (lines: readonly string[]) => lines.map((line) => `  ${line}`).join('\n');

/** `keyward --help`. */
export function mainHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return `keyward — issue, inspect, rotate, revoke, verify and scan for API keys

Usage: keyward <command> [options]

Commands:
${indent(commands.map((c) => c.name.padEnd(width) + c.summary))}

Options for every command:
${indent(GLOBAL_HELP)}
  -v, --version          print the version

Exit codes:
${indent(EXIT_HELP)}

Run keyward <command> --help for a command's options.
`;
}

/** `keyward <command> --help`. */
export function commandHelp(command: Command): string {
  const global = command.needsStore
    ? GLOBAL_HELP
    : GLOBAL_HELP.filter((line) => line.startsWith('-h'));
  return `keyward ${command.name} — ${command.summary}

Usage: ${command.usage}

Options:
${indent(command.flagHelp)}

Global options:
${indent(global)}

Exit codes:
${indent(EXIT_HELP)}
`;
}
