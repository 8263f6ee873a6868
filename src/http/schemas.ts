import { Type } from 'typebox';

/** A string without control characters, at most `max` long: every text field a request carries. */
export const text = (max = 2048) => Type.String({ maxLength: max, pattern: '^[^\\u0000-\\u001f\\u007f]*$' });

/** Optional text field. */
export const optionalText = (max = 2048) => Type.Optional(text(max));

/** Object bodies accept fields they do not name (clients send extras), but not without bound. */
export const objectOptions = { maxProperties: 64 } as const;

/**
 * A proof-of-work solution (core/proof-of-work.ts): `{ challenge, nonce }` in JSON, or
 * `"challenge:nonce"` where a form body cannot nest.
 */
export const powSolution = () =>
  Type.Optional(
    Type.Union([
      text(256),
      Type.Object(
        { challenge: text(256), nonce: Type.Union([text(64), Type.Integer({ minimum: 0 })]) },
        objectOptions,
      ),
    ]),
  );
