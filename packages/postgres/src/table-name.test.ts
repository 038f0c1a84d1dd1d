import { describe, expect, it } from 'vitest';
import { parseTableName } from './table-name.js';

describe('parseTableName', () => {
  it.each([
    'Keys',
    '1keys',
    'keys-v2',
    'keys; drop table x',
    '"keys"',
    'a.b.c',
    '.keys',
    'keys.',
    '',
    'k'.repeat(49),
    'ключи',
  ])('refuses %j', (table) => {
    expect(() => parseTableName(table)).toThrow(TypeError);
  });

  it('refuses a non-string', () => {
    expect(() => parseTableName(42)).toThrow(TypeError);
    expect(() => parseTableName(null)).toThrow(TypeError);
  });

  it('quotes a plain and a schema-qualified name', () => {
    expect(parseTableName('api_keys')).toStrictEqual({
      sql: '"api_keys"',
      name: 'api_keys',
      schemaSql: undefined,
    });
    expect(parseTableName('auth.k'.concat('1'.repeat(47)))).toMatchObject({
      sql: `"auth"."k${'1'.repeat(47)}"`,
    });
    expect(parseTableName().sql).toBe('"keyward_keys"');
  });
});
