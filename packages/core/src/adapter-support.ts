import type { Keyward } from './keyward.js';
import type { VerifyOptions } from './types.js';

/**
 * For adapter authors: the verify options in an adapter's (or a route's) options object, each
 * field falling back to `defaults`, copied, frozen and checked against `keyward` once — so a bad
 * scope or cost throws a TypeError at startup, and every request passes the same compiled object.
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
): VerifyOptions {
  const scopes = options.scopes ?? defaults.scopes;
  const anyScopes = options.anyScopes ?? defaults.anyScopes;
  const cost = options.cost ?? defaults.cost;
  const prepared: VerifyOptions = Object.freeze({
    ...(scopes === undefined ? {} : { scopes: Object.freeze([...scopes]) }),
    ...(anyScopes === undefined ? {} : { anyScopes: Object.freeze([...anyScopes]) }),
    ...(cost === undefined ? {} : { cost }),
  });
  keyward.checkVerifyOptions(prepared);
  return prepared;
}

/**
 * For adapter authors: checks what an adapter was given — a Keyward instance, an options object,
 * an `onReject` that is a function when present — and prepares its verify options with
 * {@link prepareVerifyOptions}. Throws a TypeError naming the problem; `missingKeyward` is the
 * message for a missing or wrong `keyward`, in the adapter's own words.
 *
 * @example
 * ```ts
 * export function apiKeyAuth(keyward: Keyward, options: MyOptions = {}) {
 *   const { verifyOptions, onReject } = prepareAdapterOptions(
 *     keyward,
 *     options,
 *     'apiKeyAuth() needs a Keyward instance from createKeyward()',
 *   );
 *   // …
 * }
 * ```
 */
export function prepareAdapterOptions<Handler>(
  keyward: Keyward | undefined,
  options: (VerifyOptions & { readonly onReject?: Handler | undefined }) | undefined,
  missingKeyward: string,
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
    verifyOptions: prepareVerifyOptions(keyward as Keyward, options),
    onReject,
  };
}
