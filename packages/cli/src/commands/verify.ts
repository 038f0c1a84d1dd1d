import type { VerifyResult } from '@keyward/core';
import { usageError } from '../cli-error.js';
import type { Command } from '../command.js';
import { booleanFlag, listFlag, requireKeyward, stringFlag } from '../command.js';
import { EXIT_CODES } from '../exit-codes.js';
import { toJson } from '../output.js';
import { escapeControl } from '../terminal-text.js';
import { splitList } from '../values.js';

/** `keyward verify <key>`: what the API would answer for this key. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: 'check a key as the API would (exit 0 only when accepted)',
  usage: 'keyward verify <key|-> [--ip <ip>] [--referrer <url>] [--scope <scope>] [--json]',
  flagHelp: [
    '<key>                  the key, or - to read it from standard input (keeps it out of shell history)',
    '--ip <ip>              the client IP to check against the key’s allow-list',
    '--referrer <url>       the Referer header to send',
    '--scope <scope>        a scope the request requires; comma-separated or repeated',
    '--json                 print the result (code, status, headers, body or key) as JSON',
    'A verify takes a token from the key’s rate limit and quota, like a real request.',
  ],
  options: {
    ip: { type: 'string' },
    referrer: { type: 'string' },
    scope: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  },
  positionals: { min: 1, max: 1, name: '<key>' },
  needsStore: true,
  async run(context) {
    const { values, io } = context;
    let key = context.positionals[0]!;
    if (key === '-') key = (await io.readStdin()).trim();
    if (key === '') throw usageError('no key given');
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    const referrer = stringFlag(values, 'referrer');
    if (referrer !== undefined) headers.referer = referrer;
    const scopes = splitList(listFlag(values, 'scope'));
    const keyward = requireKeyward(context);
    const options = scopes.length > 0 ? { scopes } : {};
    try {
      keyward.checkVerifyOptions(options);
    } catch (error) {
      throw usageError(`--scope: ${(error as Error).message}`);
    }
    const result: VerifyResult = await keyward.verify(
      { headers, ip: stringFlag(values, 'ip') },
      options,
    );
    if (booleanFlag(values, 'json')) {
      io.stdout(toJson(result));
    } else if (result.ok) {
      const { key: info } = result;
      const about = `key ${info.id} "${info.name}" (${info.environment})`;
      io.stdout(`ok 200: ${escapeControl(about)} is valid\n`);
    } else {
      io.stdout(`${escapeControl(`${result.code} ${result.status}: ${result.body.detail}`)}\n`);
    }
    return result.ok ? EXIT_CODES.ok : EXIT_CODES.finding;
  },
};
