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
