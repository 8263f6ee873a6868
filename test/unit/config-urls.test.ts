import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig } from '../../src/config/load.ts';

// Every URL an application registers ends up in a header (Location, CSP, CORS): a bad one is
// refused when the config is loaded, with a message naming the key, never met at request time.

const app = { client_id: 'acme-client', name: 'Acme' };

function problem(settings: Record<string, unknown>): string {
  try {
    validateConfig({ applications: [{ ...app, ...settings }] });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

const badUrls = [
  ['relative', '/logout'],
  ['not http', 'javascript:alert(1)'],
  ['another scheme', 'ftp://files.example/'],
  ['a header break', 'https://app.example/cb\r\nSet-Cookie: a=b'],
  ['a control character', 'https://app.example/c\u0000b'],
  ['a space', 'https://app.example/a b'],
  ['non-ASCII', 'https://app.example\uff0ecom/logout'],
  ['a non-ASCII host', 'https://\u00e9xample.com/'],
  ['no host', 'https:///path'],
  ['a backslash', 'https://app.example\\@evil.example/'],
  ['unparsable', 'https://[::1/'],
];

describe('application URLs in the config', () => {
  for (const key of ['callbacks', 'allowed_logout_urls'] as const) {
    it.each(badUrls)(`refuses ${key} with %s`, (_, value) => {
      expect(problem({ [key]: ['https://app.example/ok', value] })).toMatch(
        new RegExp(`applications\\.0\\.${key}\\.1: must be an absolute http(:// or https|\\(s\\)):// URL`),
      );
    });
  }

  for (const key of ['logo_uri', 'cross_origin_loc'] as const) {
    it.each(badUrls)(`refuses ${key} with %s`, (_, value) => {
      expect(problem({ [key]: value })).toContain(`applications.0.${key}: must be an absolute`);
    });
  }

  it('refuses a logo_uri that would end its Content-Security-Policy source', () => {
    expect(problem({ logo_uri: "https://cdn.example/a.png;script-src'unsafe-inline'" })).toContain(
      'applications.0.logo_uri',
    );
    expect(problem({ logo_uri: 'https://cdn.example/a.png,x' })).toContain('applications.0.logo_uri');
  });

  for (const key of ['allowed_origins', 'web_origins'] as const) {
    it.each([
      ...badUrls,
      ['a path', 'https://app.example/app'],
      ['a query', 'https://app.example?x=1'],
      ['a user', 'https://user@app.example'],
    ])(`refuses ${key} with %s`, (_, value) => {
      expect(problem({ [key]: [value] })).toContain(`applications.0.${key}.0: must be an origin`);
    });
  }

  it('accepts what applications register', () => {
    const config = validateConfig({
      applications: [
        {
          ...app,
          callbacks: ['https://app.example/cb?tab=1', 'http://localhost:3000/callback'],
          allowed_logout_urls: ['https://app.example', 'https://xn--bcher-kva.example/bye'],
          allowed_origins: ['https://app.example', 'http://localhost:3000', 'https://app.example:8443/'],
          web_origins: ['http://127.0.0.1:5173'],
          logo_uri: 'https://cdn.example/logo.png?v=2',
          cross_origin_loc: 'https://app.example/co-verify',
        },
      ],
    });
    expect(config.applications[0]?.allowed_origins).toHaveLength(3);
  });
});

describe('native app callbacks', () => {
  it("accepts a reverse-domain private-use scheme (RFC 8252) but never a browser's own schemes", () => {
    const app = (callback: string) => ({
      client_id: 'native-app-0001',
      name: 'Native',
      callbacks: [callback],
    });
    expect(
      validateConfig({ applications: [app('com.example.app:/callback')] }).applications[0]?.callbacks,
    ).toEqual(['com.example.app:/callback']);
    for (const bad of ['javascript:alert(1)', 'data:text/html,hi', 'app:/no-dot', 'vbscript:x']) {
      expect(() => validateConfig({ applications: [app(bad)] })).toThrow(/applications\.0\.callbacks\.0/);
    }
  });
});
