import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type TObject, Type } from 'typebox';
import type { AuthError } from '../core/errors.ts';

/**
 * How one family of endpoints words its errors. Auth0 answers in three vocabularies: its
 * Authentication API (`/passwordless`, and Tessera's own pages and probes) says `bad.request` and
 * `server_error`; OAuth says `invalid_request` and `temporarily_unavailable` (RFC 6749); the
 * Management API answers `{ statusCode, error, message, errorCode }`, `error` being the status's
 * name and `errorCode` the machine code, which its SDKs read. A route plugin declares
 * its family once (`declareErrorFamily`); the one error handler reads it from the route.
 */
export interface ErrorFamily {
  /** The code of a request that the schema, the body parser or the router refuses. */
  readonly badRequest: string;
  /** The code of a query string or path the schema refuses (the Management API tells them apart). */
  readonly badQuery: string;
  /** The code of the 503 while the database cannot be reached. */
  readonly unavailable: string;
  /** The body of an error answer. */
  body(error: AuthError): Record<string, unknown>;
  /** That body's schema: the route's 4xx and 5xx answers in the OpenAPI document and serialiser. */
  readonly schema: TObject;
}

/** The members of every error body, in their order on the wire. */
export const errorProperties = {
  error: Type.String({ description: 'The error code' }),
  error_description: Type.String({ description: 'A sentence saying what went wrong; never a secret' }),
};

const plainBody = (error: AuthError): Record<string, unknown> => ({
  error: error.error,
  error_description: error.description,
  // Members an error carries for the client (a proof-of-work challenge to solve).
  ...error.details,
});

export const AUTHENTICATION: ErrorFamily = {
  badRequest: 'bad.request',
  badQuery: 'bad.request',
  unavailable: 'server_error',
  body: plainBody,
  schema: Type.Object(errorProperties, { description: 'An error' }),
};

export const OAUTH: ErrorFamily = {
  badRequest: 'invalid_request',
  badQuery: 'invalid_request',
  unavailable: 'temporarily_unavailable',
  body: plainBody,
  schema: AUTHENTICATION.schema,
};

export const MANAGEMENT: ErrorFamily = {
  badRequest: 'invalid_body',
  badQuery: 'invalid_query_string',
  unavailable: 'temporarily_unavailable',
  body: (error) => ({
    statusCode: error.status,
    error: STATUS_CODES[error.status] ?? 'Error',
    message: error.description,
    errorCode: error.error,
  }),
  schema: Type.Object(
    {
      statusCode: Type.Integer({ description: 'The HTTP status' }),
      error: Type.String({ description: "The status's name (Bad Request, Not Found...)" }),
      message: errorProperties.error_description,
      errorCode: errorProperties.error,
    },
    { description: 'An error, as the Management API answers it' },
  ),
};

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set by `declareErrorFamily` on each route of a plugin. */
    errorFamily?: ErrorFamily;
  }
}

/**
 * Declares the error family of every route the plugin adds after this call (and its children's):
 * the error handler answers in it, and each route's 4xx and 5xx answers get its body's schema
 * unless the route gives its own.
 */
export function declareErrorFamily(app: FastifyInstance, family: ErrorFamily): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, errorFamily: family };
    const schema = route.schema ?? {};
    const response = (schema.response ?? {}) as Record<string, unknown>;
    route.schema = { ...schema, response: { '4xx': family.schema, '5xx': family.schema, ...response } };
  });
}

/** The error family of a request: its route's, or the URL's when no route took it. */
export function familyOf(request: FastifyRequest): ErrorFamily {
  return request.routeOptions.config?.errorFamily ?? familyOfUrl(request.url);
}

const OAUTH_PATHS = /^\/(oauth|co|userinfo|authorize)\b/;

/**
 * The one place a family is read from a URL: for what reaches no route (an unknown path, a
 * request the router or Node's parser refuses, anything while the server is still starting).
 */
export function familyOfUrl(url: string): ErrorFamily {
  if (url.startsWith('/api/')) return MANAGEMENT;
  return OAUTH_PATHS.test(url) ? OAUTH : AUTHENTICATION;
}
