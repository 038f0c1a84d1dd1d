import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../errors.js';
import { createKeyward } from '../keyward.js';
import { bearer, PREFIX, settle } from '../test-helpers.js';
import {
  compileGrantedScopes,
  compileScopeRequirement,
  satisfiesScopes,
  validateGrantedScopes,
} from './scopes.js';

const LEVELS = ['invoices', 'users', 'a.b', 'x-y', 'read', 'write', 'a_b', 'admin', '#!~'];

/** One to four levels: `admin`, `invoices:read`, `org:billing:write`, `a:b:c:d`. */
const required = fc
  .array(fc.constantFrom(...LEVELS), { minLength: 1, maxLength: 4 })
  .map((levels) => levels.join(':'));
const granted = fc.oneof(
  { weight: 6, arbitrary: required },
  { weight: 3, arbitrary: required.map((r) => `${r}:*`) },
  { weight: 1, arbitrary: fc.constant('*') },
);

/**
 * The reference model, a literal reading of the DESIGN rules: `*` covers all; `x:*` covers every
 * scope that starts with `x:`; anything else covers itself.
 */
function modelGrants(grantedScopes: readonly string[], scope: string): boolean {
  return grantedScopes.some(
    (g) => g === '*' || g === scope || (g.endsWith(':*') && scope.startsWith(g.slice(0, -1))),
  );
}

function model(grantedScopes: string[], all: string[], any: string[]): boolean {
  return (
    all.every((s) => modelGrants(grantedScopes, s)) &&
    (any.length === 0 || any.some((s) => modelGrants(grantedScopes, s)))
  );
}

const scenario = fc.record({
  granted: fc.array(granted, { maxLength: 5 }),
  all: fc.array(required, { maxLength: 3 }),
  any: fc.array(required, { maxLength: 3 }),
});

describe('scope matching', () => {
  it('agrees with the reference model', () => {
    fc.assert(
      fc.property(scenario, ({ granted: g, all, any }) => {
        const actual = satisfiesScopes(compileGrantedScopes(g), compileScopeRequirement(all, any));
        expect(actual).toBe(model(g, all, any));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with the reference model through verify', async () => {
    const keyward = createKeyward({ prefix: PREFIX });
    const samples = fc.sample(scenario, { numRuns: 200 });
    for (const { granted: g, all, any } of samples) {
      const { key } = await keyward.create({ name: 's', scopes: g });
      const result = await settle(keyward.verify(bearer(key), { scopes: all, anyScopes: any }));
      expect(result.ok ? 'ok' : result.code).toBe(model(g, all, any) ? 'ok' : 'insufficient_scope');
    }
  });

  it('does not let a resource wildcard cover a resource sharing its prefix', () => {
    const g = compileGrantedScopes(['invoices:*']);
    expect(satisfiesScopes(g, compileScopeRequirement(['invoices:read']))).toBe(true);
    expect(satisfiesScopes(g, compileScopeRequirement(['invoicesx:read']))).toBe(false);
    expect(satisfiesScopes(g, compileScopeRequirement(['invoice:read']))).toBe(false);
  });

  it('grants free-form scopes: a single level, deep levels and wildcards at any depth', () => {
    const g = compileGrantedScopes(validateGrantedScopes(['admin', 'org:billing:*', 'x:*']));
    const ok = (scope: string) => satisfiesScopes(g, compileScopeRequirement([scope]));
    expect(ok('admin')).toBe(true);
    expect(ok('admin:read')).toBe(false);
    expect(ok('org:billing:write')).toBe(true);
    expect(ok('org:billing:lines:read')).toBe(true);
    expect(ok('org:billing')).toBe(false);
    expect(ok('org:other:write')).toBe(false);
    expect(ok('x:a:b:c')).toBe(true);
    expect(ok('x')).toBe(false);
    expect(ok('xy:a')).toBe(false);
  });

  it('accepts OAuth scope tokens in createKeyward publishableScopes and adapter requirements', async () => {
    const keyward = createKeyward({ prefix: PREFIX });
    expect(() => keyward.checkVerifyOptions({ scopes: ['admin'] })).not.toThrow();
    expect(() => keyward.checkVerifyOptions({ anyScopes: ['read', 'a:b:c:d'] })).not.toThrow();
    const { key } = await keyward.create({ name: 'admin', scopes: ['admin', 'https://x.io/r'] });
    const result = await settle(keyward.verify(bearer(key), { scopes: ['admin'] }));
    expect(result.ok).toBe(true);
    const denied = await settle(keyward.verify(bearer(key), { scopes: ['read'] }));
    expect(denied.ok ? 'ok' : denied.code).toBe('insufficient_scope');
  });

  it.each([
    'invoices read',
    'a::b',
    'say"hi"',
    'back\\slash',
    'tab\there',
    'caf\u00e9',
    'a*',
    '*:*',
    'a:*:b',
    'x'.repeat(201),
    '*:read',
    'invoices:',
    ':read',
    '',
    'invoices:re*',
  ])('refuses the granted scope %j naming it', (bad) => {
    let error: unknown;
    try {
      validateGrantedScopes([bad]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionsError);
    expect((error as InvalidOptionsError).code).toBe('invalid_options');
    expect((error as Error).message).toContain('scopes[0]');
  });

  it('checkVerifyOptions refuses wildcards and malformed required scopes with a TypeError', () => {
    const keyward = createKeyward({ prefix: PREFIX });
    for (const scope of ['*', 'invoices:*', 'a b:c', 'a::b', 'a:', 'a"b', '']) {
      expect(() => keyward.checkVerifyOptions({ scopes: [scope] })).toThrow(TypeError);
      expect(() => keyward.checkVerifyOptions({ anyScopes: [scope] })).toThrow(TypeError);
    }
    expect(() => keyward.checkVerifyOptions({ scopes: ['invoices:read'] })).not.toThrow();
  });

  it('checkVerifyOptions refuses a bad cost or a non-array', () => {
    const keyward = createKeyward({ prefix: PREFIX });
    for (const cost of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '1']) {
      expect(() => keyward.checkVerifyOptions({ cost: cost as number })).toThrow(TypeError);
    }
    expect(() =>
      keyward.checkVerifyOptions({ anyScopes: 'invoices:read' as unknown as string[] }),
    ).toThrow(TypeError);
  });

  it('drops duplicate granted scopes', () => {
    expect(validateGrantedScopes(['a:b', 'a:b', '*'])).toEqual(['a:b', '*']);
  });
});
