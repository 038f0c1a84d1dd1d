import { InvalidOptionsError } from '../errors.js';

/**
 * A scope token (RFC 6749 §3.3): printable ASCII without space, `"` or `\`, 1–200 chars. Levels
 * are separated by `:` and none may be empty.
 */
const TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const MAX_SCOPES = 1000;

/** Scopes a key holds, compiled for set lookups. */
export interface GrantedScopes {
  /** `*` was granted. */
  readonly all: boolean;
  readonly exact: ReadonlySet<string>;
  /** `x:y` for every granted `x:y:*`. */
  readonly prefixes: ReadonlySet<string>;
}

/** What a route requires: every scope of `all`, and at least one of `any` when it is non-empty. */
export interface ScopeRequirement {
  readonly all: readonly RequiredScope[];
  readonly any: readonly RequiredScope[];
}

interface RequiredScope {
  readonly scope: string;
  /** Every level-prefix a wildcard could cover it by: `a`, `a:b` for `a:b:c`. */
  readonly ancestors: readonly string[];
}

/** Why `scope` is not a valid scope, or undefined when it is; `granted` allows `*` as a last level. */
function scopeProblem(scope: unknown, granted: boolean): string | undefined {
  if (typeof scope !== 'string' || !TOKEN.test(scope)) {
    return 'is not a scope (printable ASCII without space, " or \\, at most 200 characters)';
  }
  const levels = scope.split(':');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level === '') return 'has an empty level (":" starts, ends or repeats)';
    if (level.includes('*')) {
      if (!granted) return 'is a wildcard: a route requires concrete scopes';
      if (level !== '*' || i !== levels.length - 1) {
        return 'has "*" where only a whole last level may be one ("*", "invoices:*")';
      }
    }
  }
  return undefined;
}

/**
 * Validates granted scopes: OAuth scope tokens, `:` between levels, `*` only as a whole last
 * level (`*`, `invoices:*`, `org:billing:*`). Throws an InvalidOptionsError naming the bad entry;
 * drops duplicates.
 */
export function validateGrantedScopes(scopes: unknown, option = 'scopes'): string[] {
  if (!Array.isArray(scopes))
    throw new InvalidOptionsError(`${option} must be an array of strings`);
  if (scopes.length > MAX_SCOPES) {
    throw new InvalidOptionsError(`${option} holds more than ${MAX_SCOPES} scopes`);
  }
  const out: string[] = [];
  for (let i = 0; i < scopes.length; i++) {
    const scope: unknown = scopes[i];
    const problem = scopeProblem(scope, true);
    if (problem !== undefined) {
      throw new InvalidOptionsError(`${option}[${i}]: ${describeValue(scope)} ${problem}`);
    }
    if (!out.includes(scope as string)) out.push(scope as string);
  }
  return out;
}

/** A value quoted for an error message, cut short (never a secret: these are scopes). */
function describeValue(value: unknown): string {
  if (typeof value !== 'string') return typeof value;
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

export function compileGrantedScopes(scopes: readonly string[]): GrantedScopes {
  const exact = new Set<string>();
  const prefixes = new Set<string>();
  let all = false;
  for (const scope of scopes) {
    if (typeof scope !== 'string') continue;
    if (scope === '*') all = true;
    else if (scope.endsWith(':*')) prefixes.add(scope.slice(0, -2));
    else exact.add(scope);
  }
  return { all, exact, prefixes };
}

function compileRequired(scopes: unknown, option: string): RequiredScope[] {
  if (scopes === undefined) return [];
  if (!Array.isArray(scopes)) throw new TypeError(`${option} must be an array of strings`);
  return scopes.map((scope: unknown, i) => {
    const problem = scopeProblem(scope, false);
    if (problem !== undefined) {
      throw new TypeError(`${option}[${i}]: ${describeValue(scope)} ${problem}`);
    }
    const text = scope as string;
    const ancestors: string[] = [];
    for (let at = text.indexOf(':'); at !== -1; at = text.indexOf(':', at + 1)) {
      ancestors.push(text.slice(0, at));
    }
    return { scope: text, ancestors };
  });
}

/** Compiles a route's `scopes` / `anyScopes`; throws a TypeError naming a bad entry. */
export function compileScopeRequirement(scopes?: unknown, anyScopes?: unknown): ScopeRequirement {
  return { all: compileRequired(scopes, 'scopes'), any: compileRequired(anyScopes, 'anyScopes') };
}

/** Whether `granted` covers `required`: `*`, the scope itself, or a wildcard over a prefix of it. */
function grants(granted: GrantedScopes, required: RequiredScope): boolean {
  if (granted.all || granted.exact.has(required.scope)) return true;
  if (granted.prefixes.size === 0) return false;
  for (const ancestor of required.ancestors) if (granted.prefixes.has(ancestor)) return true;
  return false;
}

/**
 * The entries of `scopes` (granted scopes, wildcards allowed) that `allowed` does not cover: for a
 * publishable key, whose scopes must lie within the deployment's `publishableScopes`.
 */
export function scopesOutside(allowed: GrantedScopes, scopes: readonly string[]): string[] {
  const granted = allowed;
  const uncovered: string[] = [];
  for (const scope of scopes) {
    if (scope === '*') {
      if (!granted.all) uncovered.push(scope);
      continue;
    }
    const wildcard = scope.endsWith(':*');
    const concrete = wildcard ? scope.slice(0, -2) : scope;
    const [required] = compileRequired([concrete], 'scopes');
    // A wildcard is covered by `*` or a wildcard over the same or a shorter prefix.
    const covered = wildcard
      ? granted.all ||
        granted.prefixes.has(concrete) ||
        required!.ancestors.some((a) => granted.prefixes.has(a))
      : grants(granted, required!);
    if (!covered) uncovered.push(scope);
  }
  return uncovered;
}

/** Whether `granted` satisfies `requirement`. */
export function satisfiesScopes(granted: GrantedScopes, requirement: ScopeRequirement): boolean {
  for (const required of requirement.all) if (!grants(granted, required)) return false;
  if (requirement.any.length === 0) return true;
  for (const required of requirement.any) if (grants(granted, required)) return true;
  return false;
}

/** The scopes a rejection names in `WWW-Authenticate` and its problem body. */
export function describeRequirement(requirement: ScopeRequirement): string {
  return [...requirement.all, ...requirement.any].map((r) => r.scope).join(' ');
}
