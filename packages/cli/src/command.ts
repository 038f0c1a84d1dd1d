import type { ParseArgsConfig } from 'node:util';
import type { Keyward } from '@keyward/core';

/** Parsed flag values of one command line. */
export type FlagValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Where the CLI reads and writes; `runCli` takes one so it can run in-process too.
 *
 * @example
 * ```ts
 * let out = '';
 * await runCli(['scan', '.'], { ...processIo(), stdout: (text) => { out += text; } });
 * ```
 */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** All of standard input (for `verify -` and `scan -`). */
  readonly readStdin: () => Promise<string>;
}

/** What a command runs with. `keyward` is set when the command needs a store. */
export interface CommandContext {
  readonly values: FlagValues;
  readonly positionals: readonly string[];
  readonly io: CliIo;
  readonly keyward: Keyward | undefined;
  readonly now: number;
}

/** One `keyward <command>`. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Help lines describing the command's own flags. */
  readonly flagHelp: readonly string[];
  readonly options: NonNullable<ParseArgsConfig['options']>;
  readonly positionals: { readonly min: number; readonly max: number; readonly name: string };
  readonly needsStore: boolean;
  /** Only `create` may create a missing SQLite file. */
  readonly createsDatabase?: boolean;
  run(context: CommandContext): Promise<number>;
}

/** The value of a string flag (the last one when repeated). */
export function stringFlag(values: FlagValues, name: string): string | undefined {
  const value = values[name];
  if (Array.isArray(value)) {
    const last = value[value.length - 1];
    return typeof last === 'string' ? last : undefined;
  }
  return typeof value === 'string' ? value : undefined;
}

/** Every value of a repeatable string flag. */
export function listFlag(values: FlagValues, name: string): string[] {
  const value = values[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
}

/** Whether a boolean flag is set. */
export function booleanFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

/** The keyward instance of a command that declared `needsStore`. */
export function requireKeyward(context: CommandContext): Keyward {
  if (context.keyward === undefined) throw new Error('this command needs a store');
  return context.keyward;
}
