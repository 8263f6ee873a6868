import { Type } from 'typebox';
import { text } from '../../schemas.ts';

/** The query members of Auth0's checkpoint paging, as strings (the query string is not coerced). */
export const CheckpointQuery = Type.Object({
  from: Type.Optional(text(128)),
  take: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$', description: 'Items per page, 1 to 100 (50)' })),
});

export const IdParams = Type.Object({ id: text(256) });
