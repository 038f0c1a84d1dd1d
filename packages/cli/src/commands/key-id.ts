import type { KeyInfo, Keyward } from '@keyward/core';
import { CliError, usageError } from '../cli-error.js';
import { EXIT_CODES } from '../exit-codes.js';
import { quoteArgument } from '../quote-argument.js';

/** The `<id>` argument: 12 base62 characters. */
export function keyIdArgument(positionals: readonly string[]): string {
  const id = positionals[0]!;
  if (!/^[0-9A-Za-z]{12}$/.test(id)) {
    const looksLikeKey = /_(live|test)_[0-9A-Za-z]{12}_/.test(id);
    throw usageError(
      looksLikeKey
        ? 'pass the key id (the 12 characters after the environment), not the whole key'
        : `${quoteArgument(id)} is not a key id (12 letters and digits)`,
    );
  }
  return id;
}

/** The key with this id, or exit code 3. */
export async function getExisting(keyward: Keyward, id: string): Promise<KeyInfo> {
  const info = await keyward.get(id);
  if (info === undefined) throw new CliError(EXIT_CODES.notFound, `no key with id ${id}`);
  return info;
}
