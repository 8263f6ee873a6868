import { Type } from 'typebox';

/** The query members of Auth0's offset paging, as strings (the query string is not coerced). */
export const PageQuery = {
  page: Type.Optional(Type.String({ pattern: '^[0-9]{1,6}$', description: 'The page, from 0' })),
  per_page: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,3}$', description: 'Items per page, 1 to 100 (50)' }),
  ),
  include_totals: Type.Optional(
    Type.Union([Type.Literal('true'), Type.Literal('false')], {
      description: 'Answer `{ start, limit, length, total, <items> }` instead of the items alone',
    }),
  ),
};
