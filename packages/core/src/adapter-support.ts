import type { Keyward } from './keyward.js';
import { rejectUnknownOptions } from './option-names.js';
import type { VerifyOptions } from './types.js';

const VERIFY_OPTION_NAMES = ['scopes', 'anyScopes', 'cost', 'keyType'];

/**
 * For adapter authors: the verify options in an adapter's (or a route's) options object, each
 * field falling back to `defaults`, copied, frozen and checked against `keyward` once — so a bad
 * scope, cost or keyType throws a TypeError at startup, and every request passes the same compiled
 * object. A name that is neither a verify option nor one of `otherNames` (the adapter's own
 * options) throws a TypeError naming it: a typo (`scope:`) must never leave a route open.
 *
 * @example
 * ```ts
 * const verifyOptions = prepareVerifyOptions(keyward, { scopes: ['invoices:read'] });
 * app.use((req, res, next) => handle(keyward.verify(toRequest(req), verifyOptions), res, next));
 * ```
 */
export function prepareVerifyOptions(
  keyward: Keyward,
  options: VerifyOptions,
  defaults: VerifyOptions = {},
  otherNames: readonly string[] = [],
  where = 'options',
): VerifyOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} must be an object`);
  }
  rejectUnknownOptions(options, new Set([...VERIFY_OPTION_NAMES, ...otherNames]), where);
  const scopes = options.scopes ?? defaults.scopes;
  const anyScopes = options.anyScopes ?? defaults.anyScopes;
  const cost = options.cost ?? defaults.cost;
  const keyType = options.keyType ?? defaults.keyType;
  const prepared: VerifyOptions = Object.freeze({
    ...(scopes === undefined ? {} : { scopes: Object.freeze([...scopes]) }),
    ...(anyScopes === undefined ? {} : { anyScopes: Object.freeze([...anyScopes]) }),
    ...(cost === undefined ? {} : { cost }),
    ...(keyType === undefined ? {} : { keyType }),
  });
  keyward.checkVerifyOptions(prepared);
  return prepared;
}

/**
 * For adapter authors: checks what an adapter was given — a Keyward instance, an options object,
 * an `onReject` that is a function when present — and prepares its verify options with
 * {@link prepareVerifyOptions}. Throws a TypeError naming the problem (an unknown option name
 * included: `otherNames` lists the adapter's own options besides the verify options and
 * `onReject`); `missingKeyward` is the message for a missing or wrong `keyward`, in the adapter's
 * own words.
 *
 * @example
 * ```ts
 * export function apiKeyAuth(keyward: Keyward, options: MyOptions = {}) {
 *   const { verifyOptions, onReject } = prepareAdapterOptions(
 *     keyward,
 *     options,
 *     'apiKeyAuth() needs a Keyward instance from createKeyward()',
 *     ['getConnInfo'],
 *   );
 *   // …
 * }
 * ```
 */
export function prepareAdapterOptions<Handler>(
  keyward: Keyward | undefined,
  options: (VerifyOptions & { readonly onReject?: Handler | undefined }) | undefined,
  missingKeyward: string,
  otherNames: readonly string[] = [],
): {
  readonly keyward: Keyward;
  readonly verifyOptions: VerifyOptions;
  readonly onReject: Handler | undefined;
} {
  if (
    typeof (keyward as Partial<Keyward> | undefined)?.verify !== 'function' ||
    typeof (keyward as Partial<Keyward> | undefined)?.verifyOnce !== 'function'
  ) {
    throw new TypeError(missingKeyward);
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('apiKeyAuth() options must be an object');
  }
  const onReject = options.onReject;
  if (onReject !== undefined && typeof onReject !== 'function') {
    throw new TypeError('onReject must be a function');
  }
  return {
    keyward: keyward as Keyward,
    verifyOptions: prepareVerifyOptions(
      keyward as Keyward,
      options,
      {},
      ['onReject', ...otherNames],
      'apiKeyAuth() options',
    ),
    onReject,
  };
}
