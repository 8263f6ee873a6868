import { describe, expect, it } from 'vitest';
import { parseUserSearch } from '../../src/core/user-search.ts';
import { mergeMetadata } from '../../src/core/user-update.ts';

// q of GET /api/v2/users read into a filter tree, and PATCH's metadata merge, each against what
// Auth0 documents.

describe('user search q', () => {
  it('reads fields, phrases, prefixes, ranges and presence', () => {
    expect(parseUserSearch('email:"Jane@Example.com"')).toEqual({
      kind: 'equals',
      field: { column: 'email' },
      value: 'Jane@Example.com',
    });
    expect(parseUserSearch('name:jo*')).toEqual({ kind: 'prefix', field: { column: 'name' }, prefix: 'jo' });
    expect(parseUserSearch('logins_count:{5 TO *]')).toEqual({
      kind: 'range',
      field: { column: 'logins_count' },
      min: { value: 5, inclusive: false },
    });
    expect(parseUserSearch('last_login:*')).toEqual({ kind: 'present', field: { column: 'last_login' } });
    expect(parseUserSearch('identities.connection:sms')).toMatchObject({ field: { column: 'connection' } });
    expect(parseUserSearch('app_metadata.plan.tier:gold')).toEqual({
      kind: 'equals',
      field: { metadata: 'app_metadata', path: ['plan', 'tier'] },
      value: 'gold',
    });
    expect(parseUserSearch('app_metadata.n:7')).toMatchObject({ value: 7 });
    expect(parseUserSearch('email:a\\:b')).toMatchObject({ value: 'a:b' });
  });

  it('reads AND, OR, NOT, &&, ||, a leading - and groups with a field', () => {
    const a = { kind: 'equals', field: { column: 'name' }, value: 'a' };
    const b = { kind: 'equals', field: { column: 'name' }, value: 'b' };
    expect(parseUserSearch('name:a AND NOT name:b')).toEqual({
      kind: 'all',
      filters: [a, { kind: 'not', filter: b }],
    });
    expect(parseUserSearch('name:a || name:b')).toEqual({ kind: 'any', filters: [a, b] });
    expect(parseUserSearch('name:(a b)')).toEqual({ kind: 'any', filters: [a, b] });
    expect(parseUserSearch('name:a -name:b')).toEqual({
      kind: 'any',
      filters: [a, { kind: 'not', filter: b }],
    });
  });

  it('reads a day as the whole day', () => {
    const day = Date.parse('2024-03-01T00:00:00Z');
    expect(parseUserSearch('created_at:2024-03-01')).toEqual({
      kind: 'range',
      field: { column: 'created_at' },
      min: { value: day, inclusive: true },
      max: { value: day + 86_400_000, inclusive: false },
    });
  });

  it.each([
    ['password:x', /field "password"/],
    ['email:(a', /not a valid query/],
    ['name:j?n', /wildcard/],
    ['user_metadata.x:[1 TO 2]', /user_metadata/],
    ['app_metadata.a b:1', /./],
  ])('refuses %s with invalid_query_string', (q, message) => {
    expect(() => parseUserSearch(q)).toThrow(message);
    try {
      parseUserSearch(q);
    } catch (error) {
      expect(error).toMatchObject({ status: 400, error: 'invalid_query_string' });
    }
  });
});

describe('metadata merge (PATCH /api/v2/users/{id})', () => {
  const stored = { hobby: 'surfing', addresses: { home: '123 Main Street' } };

  it('merges the root level and replaces what is below it', () => {
    expect(mergeMetadata(stored, { addresses: { work: '100 Industrial Way' } })).toEqual({
      hobby: 'surfing',
      addresses: { work: '100 Industrial Way' },
    });
    expect(mergeMetadata({ hobby: 'surfing' }, { addresses: { home: '123 Main Street' } })).toEqual(stored);
  });

  it('removes a key set to null, and empties the metadata for an empty object', () => {
    expect(mergeMetadata(stored, { hobby: null })).toEqual({ addresses: { home: '123 Main Street' } });
    expect(mergeMetadata(stored, {})).toEqual({});
    expect(mergeMetadata(stored, undefined)).toBe(stored);
  });
});
