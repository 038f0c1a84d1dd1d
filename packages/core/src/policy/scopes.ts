import { InvalidOptionsError } from '../errors.js';

const PART = '[A-Za-z0-9_.-]{1,64}';
const GRANTED_SCOPE = new RegExp(`^(?:\\*|${PART}:(?:\\*|${PART}))$`);
const REQUIRED_SCOPE = new RegExp(`^${PART}:${PART}$`);

/** Scopes a key holds, compiled for constant-time-ish set lookups. */
export interface GrantedScopes {
  readonly all: boolean;
  readonly exact: ReadonlySet<string>;
  readonly resources: ReadonlySet<string>;
}

/** What a route requires: every scope of `all`, and at least one of `any` when it is non-empty. */
export interface ScopeRequirement {
  readonly all: readonly RequiredScope[];
  readonly any: readonly RequiredScope[];
}

interface RequiredScope {
  readonly scope: string;
  readonly resource: string;
}

/** Validates granted scopes (`*`, `resource:*`, `resource:action`); throws naming the bad entry. */
export function validateGrantedScopes(scopes: unknown, option = 'scopes'): string[] {
  if (!Array.isArray(scopes))
    throw new InvalidOptionsError(`${option} must be an array of strings`);
  const out: string[] = [];
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !GRANTED_SCOPE.test(scope)) {
      throw new InvalidOptionsError(
        `${option}: "${String(scope)}" is not a scope (use resource:action, resource:* or *)`,
      );
    }
    if (!out.includes(scope)) out.push(scope);
  }
  return out;
}

export function compileGrantedScopes(scopes: readonly string[]): GrantedScopes {
  const exact = new Set<string>();
  const resources = new Set<string>();
  let all = false;
  for (const scope of scopes) {
    if (scope === '*') all = true;
    else if (scope.endsWith(':*')) resources.add(scope.slice(0, -2));
    else exact.add(scope);
  }
  return { all, exact, resources };
}

function compileRequired(scopes: unknown, option: string): RequiredScope[] {
  if (scopes === undefined) return [];
  if (!Array.isArray(scopes)) throw new TypeError(`${option} must be an array of strings`);
  return scopes.map((scope) => {
    if (typeof scope !== 'string' || !REQUIRED_SCOPE.test(scope)) {
      throw new TypeError(`${option}: "${String(scope)}" is not a scope (use resource:action)`);
    }
    return { scope, resource: scope.slice(0, scope.indexOf(':')) };
  });
}

/** Compiles a route's `scopes` / `anyScopes`; throws a TypeError naming a bad entry. */
export function compileScopeRequirement(scopes?: unknown, anyScopes?: unknown): ScopeRequirement {
  return { all: compileRequired(scopes, 'scopes'), any: compileRequired(anyScopes, 'anyScopes') };
}

function grants(granted: GrantedScopes, required: RequiredScope): boolean {
  return (
    granted.all || granted.exact.has(required.scope) || granted.resources.has(required.resource)
  );
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
