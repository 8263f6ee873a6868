import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.ts';
import { readLogQuery } from '../../src/core/log-query.ts';

const day = (d: string) => Date.parse(d);

describe("the log search's q (Auth0's Lucene subset)", () => {
  it('reads field:value terms, quoted or not, ANDed side by side', () => {
    expect(readLogQuery('type:f AND user_id:"email|abc"')).toEqual({
      and: [
        { field: 'type', equals: 'f' },
        { field: 'user_id', equals: 'email|abc' },
      ],
    });
    expect(readLogQuery('type:f ip:203.0.113.7')).toEqual({
      and: [
        { field: 'type', equals: 'f' },
        { field: 'ip', equals: '203.0.113.7' },
      ],
    });
  });

  it('reads OR, NOT, parentheses and a field over a group', () => {
    expect(readLogQuery('NOT type:s')).toEqual({ not: { field: 'type', equals: 's' } });
    expect(readLogQuery('type:(f OR fs) AND client_id:app1')).toEqual({
      and: [
        {
          or: [
            { field: 'type', equals: 'f' },
            { field: 'type', equals: 'fs' },
          ],
        },
        { field: 'client_id', equals: 'app1' },
      ],
    });
  });

  it('reads date ranges: whole days, instants, open and exclusive ends', () => {
    expect(readLogQuery('date:[2024-01-01 TO 2024-01-31]')).toEqual({
      field: 'date',
      from: day('2024-01-01'),
      before: day('2024-02-01'),
    });
    expect(readLogQuery('date:{2024-01-01T10:00:00Z TO *]')).toEqual({
      field: 'date',
      from: day('2024-01-01T10:00:00Z') + 1,
    });
    expect(readLogQuery('date:2024-01-05')).toEqual({
      field: 'date',
      from: day('2024-01-05'),
      before: day('2024-01-06'),
    });
  });

  it.each([
    ['jane', 'needs a field'],
    ['password:x', 'cannot be searched'],
    ['type:f*', 'wildcards'],
    ['type:f~', 'fuzzy'],
    ['type:[a TO b]', 'date only'],
    ['date:[yesterday TO *]', 'not a date'],
    ['date:2024-13-45', 'not a date'],
    ['type:(f', 'not a valid query'],
    ['+type:f', 'cannot be searched'],
    ['type:-f', 'prefixes'],
    ['user_id:"a b"~2', 'proximity'],
  ])('refuses %s with a 400 naming it', (q, words) => {
    let error: unknown;
    try {
      readLogQuery(q);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).status).toBe(400);
    expect((error as AuthError).description).toContain(words);
  });
});
