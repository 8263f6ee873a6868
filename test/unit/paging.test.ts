import { describe, expect, it } from 'vitest';
import { pageAnswer, readPage } from '../../src/core/paging.ts';

describe('Management API paging', () => {
  it('defaults to the first page of 50 without totals', () => {
    expect(readPage({})).toEqual({ page: 0, perPage: 50, includeTotals: false });
  });

  it('reads the query strings', () => {
    expect(readPage({ page: '3', per_page: '20', include_totals: 'true' })).toEqual({
      page: 3,
      perPage: 20,
      includeTotals: true,
    });
  });

  it.each([
    [{ per_page: '0' }, /per_page/],
    [{ per_page: '101' }, /per_page/],
    [{ page: '10', per_page: '100' }, /first 1000/],
  ])('refuses %o', (query, message) => {
    expect(() => readPage(query)).toThrow(message);
  });

  it('reaches the 1000th item and no further', () => {
    expect(readPage({ page: '9', per_page: '100' }).page).toBe(9);
  });

  it('answers the items alone, or with where they stand', () => {
    const page = readPage({ page: '1', per_page: '2' });
    expect(pageAnswer('users', ['c', 'd'], page, 5)).toEqual(['c', 'd']);
    expect(pageAnswer('users', ['c', 'd'], { ...page, includeTotals: true }, 5)).toEqual({
      start: 2,
      limit: 2,
      length: 2,
      total: 5,
      users: ['c', 'd'],
    });
  });
});
