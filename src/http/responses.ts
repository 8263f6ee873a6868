import { type Static, type TSchema, Type } from 'typebox';
import { type ErrorFamily, errorProperties } from './error-families.ts';

// Schemas of what routes answer besides JSON bodies of their own: pages, redirects, the error
// bodies some routes extend. They describe the answers in the OpenAPI document; JSON ones also
// drive the serialiser, which writes only the members they name.

const Html = Type.String({ description: 'An HTML page' });

/** An HTML page (rendered by ui/pages.ts, with its security headers). */
export const page = (description: string) => ({ description, content: { 'text/html': { schema: Html } } });

/** A status that some answers give as a page and others (a malformed request) as a JSON error. */
export const pageOrError = (family: ErrorFamily, description: string) => ({
  description,
  content: { 'text/html': { schema: Html }, 'application/json': { schema: family.schema } },
});

/** A redirect; where to is in its Location header. */
export const redirect = (description: string) => ({ description, type: 'null' });

/** A value or null (for the serialiser, a type list rather than a slower union). */
export const nullable = <T extends TSchema>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [(schema as { type?: string }).type, 'null'] });

/** What a `pow_required` answer carries for the client to solve (core/proof-of-work.ts). */
const PowChallenge = Type.Object({
  challenge: Type.String(),
  difficulty_bits: Type.Integer(),
  algorithm: Type.Literal('sha256'),
  expires_at: Type.String({ format: 'date-time' }),
});

/** The 400 of `/passwordless/start`: any error, or `pow_required` with a challenge. */
export const StartRefused = Type.Object(
  { ...errorProperties, pow: Type.Optional(PowChallenge) },
  { description: 'An error; `pow_required` carries a proof-of-work challenge in `pow`' },
);
