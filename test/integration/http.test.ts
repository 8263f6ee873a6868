import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.ts';
import { TEST_CHALLENGE } from '../helpers/links.ts';
import { TestServer } from '../helpers/server.ts';
import { makeCertificate } from '../helpers/tls.ts';

describe('HTTP surface', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  it('answers CORS preflights for an application origin, and not for others', async () => {
    const preflight = (origin: string) =>
      server.request('/passwordless/start', {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
    // The Default App's origin is the issuer's.
    const origin = new URL(server.issuer).origin;
    const allowed = await preflight(origin);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(origin);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await preflight('https://evil.example');
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends strict security headers with HTML pages', async () => {
    await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'email',
      email: 'page@example.com',
      authParams: { code_challenge: TEST_CHALLENGE, code_challenge_method: 'S256' },
    });
    const [message] = await server.inbox('page@example.com');
    const page = await server.get(
      new URL(message?.link as string).pathname + new URL(message?.link as string).search,
    );
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain('form-action');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.body).not.toMatch(/<script/i);
  });

  it('serves the pages’ assets, cacheable for an hour, and nothing else under /ui/', async () => {
    for (const [path, type] of [
      ['/ui/style.css', 'text/css; charset=utf-8'],
      ['/ui/login.js', 'text/javascript; charset=utf-8'],
      ['/ui/pow.js', 'text/javascript; charset=utf-8'],
      ['/ui/co-verify.js', 'text/javascript; charset=utf-8'],
      ['/ui/web-message.js', 'text/javascript; charset=utf-8'],
    ] as const) {
      const asset = await server.get<string>(path);
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get('content-type'), path).toBe(type);
      expect(asset.headers.get('cache-control'), path).toBe('public, max-age=3600');
      expect(asset.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(asset.body.length, path).toBeGreaterThan(100);
      // Past its hour a browser asks again, and an unchanged file costs no body. (Fetch's default
      // cache mode would add `Cache-Control: no-cache` to a conditional request.)
      const etag = asset.headers.get('etag') as string;
      const again = await server.request(path, { headers: { 'if-none-match': etag }, cache: 'no-cache' });
      expect(again.status, path).toBe(304);
    }
    for (const path of ['/ui/', '/ui', '/ui/constructor', '/ui/__proto__', '/ui/nope.js', '/ui/login.js/']) {
      const missing = await server.get(path);
      expect({ path, status: missing.status, body: missing.body }).toEqual({
        path,
        status: 404,
        body: { error: 'not_found', error_description: 'No such endpoint' },
      });
    }
  });

  it('describes its routes in an OpenAPI document', async () => {
    const doc = await server.get<{ openapi: string; paths: Record<string, unknown> }>('/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/passwordless/start',
        '/oauth/token',
        '/oauth/ro',
        '/passwordless/verify',
        '/api/v2/users',
      ]),
    );
  });

  it('describes the Management API alone at /api/v2/openapi.json, with its token and answers', async () => {
    type Operation = { security?: unknown; responses: Record<string, { content?: unknown }> };
    const doc = await server.get<{
      info: { title: string };
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, { scheme: string }> };
    }>('/api/v2/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.info.title).toBe('Tessera Management API');
    const paths = Object.keys(doc.body.paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/v2/users', '/api/v2/users/{id}', '/api/users']));
    expect(paths.every((path) => path.startsWith('/api/'))).toBe(true);
    expect(doc.body.components.securitySchemes.managementToken?.scheme).toBe('bearer');
    const create = doc.body.paths['/api/v2/users']?.post;
    expect(create?.security).toEqual([{ managementToken: [] }]);
    expect(Object.keys(create?.responses ?? {})).toEqual(expect.arrayContaining(['201', '4XX']));
    expect(create?.responses['201']?.content).toBeDefined();
  });

  it("serves only Swagger UI's own files under the reference page", async () => {
    expect((await server.get('/api/v2/docs/static/swagger-ui.css')).status).toBe(200);
    for (const path of [
      '%2e%2e/%2e%2e/%2e%2e/package.json',
      '..%2f..%2f..%2fpackage.json',
      'static/../../../../README.md',
    ]) {
      const answer = await server.get(`/api/v2/docs/${path}`);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
      expect(answer.status, path).toBeLessThan(500);
    }
  });

  it("explains the Default App's callback in development instead of a 404", async () => {
    const page = await server.get('/callback?code=abc123&state=xyz');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.body).toContain('abc123');
    expect(page.body).toContain('authorization_code');
    const escaped = await server.get('/callback?code=%3Cscript%3E');
    expect(escaped.body).not.toContain('<script>');
  });

  it('never puts a crafted code into the curl command the callback page shows', async () => {
    const crafted = `x'$(id>uid.txt)'`;
    const page = await server.get<string>(`/callback?code=${encodeURIComponent(crafted)}`);
    const command = /<pre>([\s\S]*?)<\/pre>/.exec(page.body)?.[1] ?? '';
    expect(command).toContain('"code":"&lt;code&gt;"');
    expect(command).not.toContain('$(');
    const genuine = await server.get<string>('/callback?code=Ab3_-x9');
    expect(/<pre>([\s\S]*?)<\/pre>/.exec(genuine.body)?.[1]).toContain('"code":"Ab3_-x9"');
  });

  it('lets the query set only what the callback page shows, none of its layout', async () => {
    const plain = await server.get('/callback?code=abc123&state=xyz');
    // The names the page's layout and template read besides the callback's own parameters.
    const layout = {
      script: 'https://evil.example/x.js',
      brand_css: 'https://evil.example/x.css',
      title: 'Evil title',
      lang: 'evil-lang',
      issuer: 'https://evil.example/',
      redirect_uri: 'https://evil.example/cb',
    };
    const hostile = await server.get(`/callback?code=abc123&state=xyz&${new URLSearchParams(layout)}`);
    expect(hostile.status).toBe(200);
    expect(hostile.body).toBe(plain.body);
    expect(hostile.body).not.toMatch(/evil/i);
    expect(hostile.body).not.toContain('<script');
  });

  it('refuses an unknown log level at start, naming the key', () => {
    expect(() => validateConfig({ log_level: 'verbose' })).toThrow(/log_level/);
  });

  it('answers unknown routes with the error body', async () => {
    const missing = await server.get('/no/such/thing');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: 'not_found', error_description: expect.any(String) });
    expect((await server.get('/healthz')).status).toBe(200);
  });
});

describe('production mode', () => {
  let server: TestServer;
  afterAll(() => server.close());

  it('hides the dev inbox unless enabled, and a start through it fails cleanly', async () => {
    server = await TestServer.start({ config: { environment: 'production' } });
    expect((await server.get('/dev/inbox')).status).toBe(404);
    expect((await server.get('/dev/inbox/messages')).status).toBe(404);
    expect((await server.get('/callback?code=x')).status).toBe(404);
    const start = await server.post('/passwordless/start', {
      client_id: await server.clientId(),
      connection: 'email',
      email: 'prod@example.com',
      send: 'code',
    });
    expect(start.status).toBe(502);
    expect(start.body).toEqual({
      error: 'email_provider_error',
      error_description: expect.stringContaining('dev inbox'),
    });
  });

  it('shows the dev inbox in production when explicitly enabled', async () => {
    const enabled = await TestServer.start({ config: { environment: 'production', dev_inbox: true } });
    try {
      expect((await enabled.get('/dev/inbox/messages')).status).toBe(200);
    } finally {
      await enabled.close();
    }
  });
});

describe('HTTPS', () => {
  it('serves HTTPS itself with TESSERA_TLS_CERT / TESSERA_TLS_KEY style config, and the issuer says https', async () => {
    const certificate = makeCertificate();
    const server = await TestServer.start({
      config: { tls: { cert: certificate.certFile, key: certificate.keyFile } },
      ca: certificate.pem,
    });
    try {
      expect(server.url.startsWith('https://')).toBe(true);
      const discovery = await server.get('/.well-known/openid-configuration');
      expect(discovery.status).toBe(200);
      expect(discovery.body.issuer).toBe(`https://127.0.0.1:${server.port}/`);
      const code = await server.startCode(await server.clientId(), { email: 'tls@example.com' });
      const token = await server.otpGrant(await server.clientId(), 'email', 'tls@example.com', code, {
        scope: 'openid',
      });
      expect(token.status).toBe(200);
    } finally {
      await server.close();
      certificate.remove();
    }
  });

  it('refuses to start when the certificate file cannot be read, naming the key', () => {
    expect(() =>
      validateConfig({ tls: { cert: '/nonexistent/cert.pem', key: '/nonexistent/key.pem' } }),
    ).toThrow(/tls\.cert: cannot read/);
  });
});
