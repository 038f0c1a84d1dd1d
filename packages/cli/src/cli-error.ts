import { EXIT_CODES, type ExitCode } from './exit-codes.js';

/** An error the CLI reports as one line on stderr, exiting with `exitCode`. */
export class CliError extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A user mistake in flags or arguments: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(EXIT_CODES.usage, message);
}

const KEYWARD_CODES: Record<string, ExitCode> = {
  invalid_options: EXIT_CODES.usage,
  key_revoked: EXIT_CODES.usage,
  key_not_found: EXIT_CODES.notFound,
};

/**
 * Maps anything thrown to an exit code and one line of text. User mistakes (parse errors, bad
 * options, unknown ids) never show a stack; anything else is a store error.
 */
export function describeError(error: unknown): {
  exitCode: ExitCode;
  message: string;
  /** Whether `--help` would help (a flag or argument mistake). */
  hint?: boolean;
} {
  if (error instanceof CliError) {
    const hint = error.exitCode === EXIT_CODES.usage && !error.message.includes('--help');
    return { exitCode: error.exitCode, message: error.message, hint };
  }
  const code = (error as { code?: unknown } | null)?.code;
  const message = firstLine(error instanceof Error ? error.message : String(error));
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
    return { exitCode: EXIT_CODES.usage, message: parseArgsMessage(message), hint: true };
  }
  if (typeof code === 'string' && code in KEYWARD_CODES && error instanceof Error) {
    return { exitCode: KEYWARD_CODES[code]!, message };
  }
  if (code === 'store_unavailable') {
    const cause = (error as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? `: ${firstLine(cause.message)}` : '';
    return { exitCode: EXIT_CODES.store, message: `store error: ${message}${detail}` };
  }
  return { exitCode: EXIT_CODES.store, message: `store error: ${message}` };
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

function parseArgsMessage(message: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const positional = /^Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument '${positional[1]}'`;
  const sentence = message.split(/\.\s/)[0]!.replace(/\.$/, '');
  return sentence.charAt(0).toLowerCase() + sentence.slice(1);
}
