import { parseArgs } from 'node:util';
import { version } from '../package.json';
import { describeError, usageError } from './cli-error.js';
import { type CliIo, type Command, type FlagValues, stringFlag } from './command.js';
import { COMMANDS } from './commands/index.js';
import { EXIT_CODES } from './exit-codes.js';
import { commandHelp, mainHelp } from './help.js';
import { type OpenedKeyward, openKeyward } from './open-store.js';
import { quoteArgument } from './quote-argument.js';
import { escapeControl } from './terminal-text.js';

const GLOBAL_OPTIONS = {
  prefix: { type: 'string' },
  /** Parsed only to be refused: see {@link refusePepperValue}. */
  pepper: { type: 'string' },
  'pepper-file': { type: 'string' },
  db: { type: 'string' },
  store: { type: 'string' },
  environments: { type: 'string' },
  'publishable-scopes': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const GLOBAL_WITH_VALUE = new Set([
  '--prefix',
  '--pepper',
  '--pepper-file',
  '--db',
  '--store',
  '--environments',
  '--publishable-scopes',
]);

/**
 * Refuses `--pepper <value>` wherever it is: a pepper on the command line shows in the process
 * list (`ps`, `/proc/<pid>/cmdline`) and lands in the shell history.
 */
function refusePepperValue(argv: readonly string[]): void {
  for (const arg of argv) {
    if (arg === '--') return;
    if (arg === '--pepper' || arg.startsWith('--pepper=')) {
      throw usageError(
        '--pepper <value> is refused: it would show the pepper in the process list and the shell history. ' +
          'Set KEYWARD_PEPPER, or pass --pepper-file <path> (--pepper-file - reads standard input)',
      );
    }
  }
}

/** Finds the command: the first argument that is neither a global flag nor a global flag's value. */
function splitCommand(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') break;
    if (GLOBAL_WITH_VALUE.has(arg)) {
      i++;
      continue;
    }
    if (arg.startsWith('-')) continue;
    return { name: arg, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { name: undefined, rest: [...argv] };
}

function parseCommandLine(command: Command, args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    options: { ...GLOBAL_OPTIONS, ...command.options },
    allowPositionals: true,
    strict: true,
  });
  return { values: values as FlagValues, positionals };
}

function checkPositionals(command: Command, positionals: readonly string[]): void {
  const { min, max, name } = command.positionals;
  if (positionals.length < min) throw usageError(`missing ${name}`);
  if (positionals.length > max) {
    throw usageError(`unexpected argument ${quoteArgument(positionals[max]!)}`);
  }
}

/**
 * Runs the `keyward` command line (without `node` and the script name) and resolves to its exit
 * code. Never throws: errors are one line on `io.stderr`.
 *
 * @example
 * ```ts
 * import { runCli } from '@keyward/cli';
 * process.exitCode = await runCli(process.argv.slice(2));
 * ```
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let commandName: string | undefined;
  let opened: OpenedKeyward | undefined;
  try {
    refusePepperValue(argv);
    const { name, rest } = splitCommand(argv);
    commandName = name;
    if (name === undefined) {
      if (rest.includes('--version') || rest.includes('-v')) {
        io.stdout(`${version}\n`);
        return EXIT_CODES.ok;
      }
      if (rest.includes('--help') || rest.includes('-h')) {
        io.stdout(mainHelp(COMMANDS));
        return EXIT_CODES.ok;
      }
      io.stderr(mainHelp(COMMANDS));
      return EXIT_CODES.usage;
    }
    if (name === 'help') {
      const topic = COMMANDS.find((c) => c.name === rest.find((a) => !a.startsWith('-')));
      io.stdout(topic === undefined ? mainHelp(COMMANDS) : commandHelp(topic));
      return EXIT_CODES.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (command === undefined) {
      commandName = undefined;
      throw usageError(`unknown command ${quoteArgument(name)} (see keyward --help)`);
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(commandHelp(command));
      return EXIT_CODES.ok;
    }
    const { values, positionals } = parseCommandLine(command, rest);
    checkPositionals(command, positionals);
    if (
      command.needsStore &&
      stringFlag(values, 'pepper-file') === '-' &&
      positionals.includes('-')
    ) {
      throw usageError(
        'standard input can carry the pepper (--pepper-file -) or the key (-), not both',
      );
    }
    if (command.needsStore) {
      opened = await openKeyward(values, io, command.createsDatabase === true);
    }
    return await command.run({
      values,
      positionals,
      io,
      keyward: opened?.keyward,
      now: Date.now(),
    });
  } catch (error) {
    const { exitCode, message, hint } = describeError(error);
    const where = commandName === undefined ? 'keyward' : `keyward ${commandName}`;
    io.stderr(`${where}: ${escapeControl(message)}${hint ? ` (see ${where} --help)` : ''}\n`);
    if (io.env.KEYWARD_DEBUG && error instanceof Error && error.stack)
      io.stderr(`${error.stack}\n`);
    return exitCode;
  } finally {
    await opened?.close().catch(() => {});
  }
}

/**
 * The real process's streams, environment and working directory.
 *
 * @example
 * ```ts
 * await runCli(['list'], { ...processIo(), env: { ...process.env, KEYWARD_PREFIX: 'acme' } });
 * ```
 */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
