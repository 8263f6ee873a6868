import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestServer } from '../helpers/server.ts';

const CLIENT = 'logout-app-0001';
const REGISTERED = 'https://app.example.com/logout';

describe('GET /v2/logout', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        applications: [
          {
            client_id: CLIENT,
            name: 'Logout App',
            callbacks: ['https://app.example.com/cb'],
            allowed_logout_urls: [REGISTERED],
          },
        ],
      },
    });
  });
  afterAll(() => server.close());

  const logout = (query: Record<string, string>) => server.get(`/v2/logout?${new URLSearchParams(query)}`);

  // U+FF0E FULLWIDTH FULL STOP: the URL parser maps it to ".", but it cannot go in a header.
  const lookalike = 'https://app.example\uff0ecom/logout';

  it('redirects to the registered URL, not the spelling the caller sent', async () => {
    const queries: Record<string, string>[] = [
      { client_id: CLIENT, returnTo: lookalike },
      { returnTo: lookalike },
    ];
    for (const query of queries) {
      const answer = await logout(query);
      expect(answer.status).toBe(302);
      expect(answer.headers.get('location')).toBe(REGISTERED);
    }
  });

  it('adds the OIDC state to the registered URL', async () => {
    const answer = await logout({ client_id: CLIENT, post_logout_redirect_uri: lookalike, state: 'st 8' });
    expect(answer.status).toBe(302);
    expect(answer.headers.get('location')).toBe(`${REGISTERED}?state=st+8`);
  });

  it('still refuses a URL no application registered', async () => {
    const answer = await logout({ client_id: CLIENT, returnTo: 'https://app.example\uff0enet/logout' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
  });
});
