import { Type } from 'typebox';

/** A string without control characters, at most `max` long: every text field a request carries. */
export const text = (max = 2048) => Type.String({ maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });

/** Optional text field. */
export const optionalText = (max = 2048) => Type.Optional(text(max));

/** Object bodies accept fields they do not name (clients send extras), but not without bound. */
export const objectOptions = { maxProperties: 64 } as const;
