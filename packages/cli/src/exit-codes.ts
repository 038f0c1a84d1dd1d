/**
 * The `keyward` command's exit codes.
 *
 * @example
 * ```ts
 * if ((await runCli(['scan', '.'])) === EXIT_CODES.finding) console.error('a key leaked');
 * ```
 */
export const EXIT_CODES = Object.freeze({
  /** Success; `scan` found nothing; `verify` accepted the key. */
  ok: 0,
  /** `scan` found a key, `verify` rejected the key, `review` found something, or `audit verify` found tampering. */
  finding: 1,
  /** Bad flags, arguments or options (a bad CIDR, a missing prefix, an unknown flag…). */
  usage: 2,
  /** No key has the id given. */
  notFound: 3,
  /** The store failed: cannot open the database, connect, or read/write. */
  store: 4,
});

/**
 * One of {@link EXIT_CODES}.
 *
 * @example
 * ```ts
 * const code: ExitCode = EXIT_CODES.notFound; // 3
 * ```
 */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];
