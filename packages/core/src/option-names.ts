/**
 * Throws, naming it, the first own property of `options` that is not in `known`: a typo (`ip:`
 * for `ips:`, `route:`) must fail loudly, never leave a key or a route unrestricted. Properties
 * whose value is `undefined` count too.
 */
export function rejectUnknownOptions(
  options: object,
  known: ReadonlySet<string>,
  where: string,
  error: (message: string) => Error = (message) => new TypeError(message),
): void {
  for (const name of Object.keys(options)) {
    if (!known.has(name)) {
      const shown = JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
      throw error(`${where}: unknown option ${shown} (known: ${[...known].join(', ')})`);
    }
  }
}
