import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.ts';
import { declareErrorFamily, MANAGEMENT, OAUTH } from '../../src/http/error-families.ts';
import { errorHandler, notFoundHandler } from '../../src/http/errors.ts';

// A route plugin says which family's words its errors take; the error handler follows it, not
// the URL. Only what no route answers falls back to the URL (/api → Management, /oauth → OAuth).

describe('error families', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify({ frameworkErrors: errorHandler });
    app.setErrorHandler(errorHandler);
    app.setNotFoundHandler(notFoundHandler);
    const body = Type.Object({ name: Type.String() });
    // Paths that say nothing of their family, so only the declarations can tell.
    await app.register(async (plugin) => {
      declareErrorFamily(plugin, MANAGEMENT);
      plugin.post('/first', { schema: { body } }, async () => ({ ok: true }));
      plugin.get('/first/gone', async () => {
        throw new AuthError(404, 'inexistent_user', 'The user does not exist.', {}, { extra: 'dropped' });
      });
    });
    await app.register(async (plugin) => {
      declareErrorFamily(plugin, OAUTH);
      plugin.post('/second', { schema: { body } }, async () => ({ ok: true }));
    });
    await app.ready();
  });
  afterAll(() => app.close());

  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, payload });

  it('answers a refused body in the family the route plugin declared', async () => {
    expect((await post('/first', {})).json()).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Missing required parameter: name',
      errorCode: 'invalid_body',
    });
    expect((await post('/second', {})).json()).toEqual({
      error: 'invalid_request',
      error_description: 'Missing required parameter: name',
    });
  });

  it('serialises errors through the family schema: members it does not name stay home', async () => {
    const answer = await app.inject({ method: 'GET', url: '/first/gone' });
    expect(answer.statusCode).toBe(404);
    expect(answer.json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'The user does not exist.',
      errorCode: 'inexistent_user',
    });
  });

  it('falls back to the URL for what no route answers', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/v2/nothing' })).json()).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No such endpoint',
      errorCode: 'not_found',
    });
    expect((await app.inject({ method: 'GET', url: '/oauth/%zz' })).json()).toEqual({
      error: 'invalid_request',
      error_description: 'The request could not be understood',
    });
    expect((await app.inject({ method: 'GET', url: '/elsewhere/%zz' })).json()).toEqual({
      error: 'bad.request',
      error_description: 'The request could not be understood',
    });
  });
});
