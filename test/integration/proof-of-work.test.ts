import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, location } from '../helpers/form-browser.ts';
import { type Challenge, meetsDifficulty, solve, wrongNonce } from '../helpers/pow.ts';
import { type Answer, TestServer } from '../helpers/server.ts';

// The proof-of-work challenge of /passwordless/start (docs/security.md#proof-of-work), at a low
// difficulty so that tests solve it in a millisecond. Each test speaks from a client IP of its own
// (trust_proxy and X-Forwarded-For), so that their counts do not mix.
const BITS = 8;
const THRESHOLD = 2;
const TTL_S = 60;
const POW = { enabled: true, after_starts_per_ip: THRESHOLD, difficulty_bits: BITS, ttl_s: TTL_S };

let lastIp = 0;
/** A client IP no other test in this file uses. */
const freshIp = () => `198.51.100.${++lastIp}`;

/** A pow_required answer with a challenge at the configured difficulty; returns the challenge. */
function expectChallenge(answer: Answer, bits = BITS): Challenge {
  expect(answer.status).toBe(400);
  expect(answer.body).toEqual({
    error: 'pow_required',
    error_description: expect.any(String),
    pow: {
      challenge: expect.stringMatching(/^[A-Za-z0-9._-]{1,100}$/),
      difficulty_bits: bits,
      algorithm: 'sha256',
      expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    },
  });
  return answer.body.pow as Challenge;
}

describe('proof of work on /passwordless/start', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({ config: { trust_proxy: true, proof_of_work: POW } });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  function start(ip: string, email: string, extra: Record<string, unknown> = {}) {
    return server.post(
      '/passwordless/start',
      { client_id: clientId, connection: 'email', send: 'code', email, ...extra },
      { headers: { 'x-forwarded-for': ip } },
    );
  }

  /** Spends an IP's starts without a challenge; returns the challenge the next start gets. */
  async function pastThreshold(ip: string): Promise<Challenge> {
    for (let n = 0; n < THRESHOLD; n++)
      expect((await start(ip, `free${n}.${ip}@example.com`)).status).toBe(200);
    return expectChallenge(await start(ip, `asked.${ip}@example.com`));
  }

  it('asks nothing below the threshold, then answers pow_required with a challenge and sends nothing', async () => {
    const ip = freshIp();
    for (let n = 0; n < THRESHOLD; n++) {
      const answer = await start(ip, 'below@example.com');
      expect(answer.status).toBe(200);
      expect(answer.body).not.toHaveProperty('pow');
    }
    const { challenge, expires_at } = expectChallenge(await start(ip, 'above@example.com'));
    expect(Date.parse(expires_at)).toBeGreaterThan(server.clock.now() + (TTL_S - 2) * 1000);
    expect(Date.parse(expires_at)).toBeLessThanOrEqual(server.clock.now() + TTL_S * 1000);
    expect(await server.inbox('above@example.com')).toEqual([]);
    // Every further start without a solution is asked again, each time with a new challenge.
    const again = expectChallenge(await start(ip, 'above@example.com'));
    expect(again.challenge).not.toBe(challenge);
    // Another IP has its own count.
    expect((await start(freshIp(), 'above@example.com')).status).toBe(200);
  });

  it('lets a start with the solution through, once: a replay is asked again', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    const nonce = solve(challenge, BITS);
    const solved = await start(ip, 'solved@example.com', { pow: { challenge, nonce } });
    expect(solved.status).toBe(200);
    expect(solved.body).toEqual({
      _id: expect.any(String),
      email: 'solved@example.com',
      email_verified: false,
    });
    expect(await server.inbox('solved@example.com')).toHaveLength(1);

    const replayed = expectChallenge(await start(ip, 'replay@example.com', { pow: { challenge, nonce } }));
    expect(replayed.challenge).not.toBe(challenge);
    expect(await server.inbox('replay@example.com')).toEqual([]);
    // The fresh challenge of the refusal works.
    const next = { challenge: replayed.challenge, nonce: solve(replayed.challenge, BITS) };
    expect((await start(ip, 'replay@example.com', { pow: next })).status).toBe(200);
  });

  it('takes the solution as "challenge:nonce" in a form body, and a numeric nonce in JSON', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    const form = await server.post(
      '/passwordless/start',
      {
        client_id: clientId,
        connection: 'email',
        send: 'code',
        email: 'form@example.com',
        pow: `${challenge}:${solve(challenge, BITS)}`,
      },
      { form: true, headers: { 'x-forwarded-for': ip } },
    );
    expect(form.status).toBe(200);
    const next = expectChallenge(await start(ip, 'number@example.com'));
    const nonce = Number(solve(next.challenge, BITS));
    expect(
      (await start(ip, 'number@example.com', { pow: { challenge: next.challenge, nonce } })).status,
    ).toBe(200);
  });

  it('refuses a wrong nonce with a fresh challenge, and the challenge still works afterwards', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    const wrong = expectChallenge(
      await start(ip, 'wrong@example.com', { pow: { challenge, nonce: wrongNonce(challenge, BITS) } }),
    );
    expect(wrong.challenge).not.toBe(challenge);
    expect(await server.inbox('wrong@example.com')).toEqual([]);
    const right = { challenge, nonce: solve(challenge, BITS) };
    expect((await start(ip, 'wrong@example.com', { pow: right })).status).toBe(200);
  });

  it('refuses a solved challenge once it has expired', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    const nonce = solve(challenge, BITS);
    server.clock.advance(TTL_S * 1000);
    expectChallenge(await start(ip, 'late@example.com', { pow: { challenge, nonce } }));
    expect(await server.inbox('late@example.com')).toEqual([]);
  });

  it('refuses a challenge solved for another IP', async () => {
    const mine = freshIp();
    const theirs = freshIp();
    const { challenge } = await pastThreshold(mine);
    await pastThreshold(theirs);
    const nonce = solve(challenge, BITS);
    expectChallenge(await start(theirs, 'borrowed@example.com', { pow: { challenge, nonce } }));
    expect(await server.inbox('borrowed@example.com')).toEqual([]);
    // Its own IP may still use it.
    expect((await start(mine, 'borrowed@example.com', { pow: { challenge, nonce } })).status).toBe(200);
  });

  it('refuses a challenge whose difficulty was edited', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    const easier = challenge.replace(/^(1\.\d+\.)\d+\./, '$11.');
    expect(easier).not.toBe(challenge);
    expectChallenge(
      await start(ip, 'edited@example.com', { pow: { challenge: easier, nonce: solve(easier, 1) } }),
    );
  });

  it('answers hostile pow values with a 400, never a 5xx, and stays healthy', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    const nonce = solve(challenge, BITS);
    const hostile: unknown[] = [
      42,
      true,
      [challenge, nonce],
      { challenge },
      { nonce },
      { challenge, nonce: -1 },
      { challenge, nonce: 1.5 },
      { challenge, nonce: 'x'.repeat(65) },
      { challenge, nonce: '../../etc/passwd' },
      { challenge, nonce: `${nonce}\u0000` },
      { challenge: 'x'.repeat(300), nonce },
      { challenge: { nested: { deeper: [1, 2, 3] } }, nonce },
      { challenge: `${challenge}\u202e`, nonce },
      `${challenge}`,
      `${challenge}:`,
      `:${nonce}`,
      `${challenge}:${nonce}:${nonce}`,
      'x'.repeat(10_000),
      '\ud800',
    ];
    for (const pow of hostile) {
      const answer = await start(ip, 'hostile@example.com', { pow });
      expect(answer.status, JSON.stringify(pow)).toBe(400);
      expect(['pow_required', 'bad.request']).toContain(answer.body.error);
      expect(answer.body.error_description).toEqual(expect.any(String));
    }
    const polluted = await server.post(
      '/passwordless/start',
      `{"client_id":"${clientId}","connection":"email","email":"hostile@example.com","pow":{"__proto__":{"challenge":"${challenge}","nonce":"${nonce}"}}}`,
      { headers: { 'x-forwarded-for': ip } },
    );
    expect(polluted.status).toBe(400);
    expect(await server.inbox('hostile@example.com')).toEqual([]);
    expect((await server.get('/healthz')).status).toBe(200);
    // None of them used the challenge up.
    expect((await start(ip, 'hostile@example.com', { pow: { challenge, nonce } })).status).toBe(200);
  });

  it('counts outcomes in tessera_proof_of_work_total', async () => {
    const ip = freshIp();
    const { challenge } = await pastThreshold(ip);
    await start(ip, 'metrics@example.com', { pow: { challenge, nonce: solve(challenge, BITS) } });
    const text = (await server.get<string>('/metrics')).body;
    for (const outcome of ['solved', 'missing', 'rejected'])
      expect(text).toMatch(new RegExp(`tessera_proof_of_work_total\\{outcome="${outcome}"\\} [1-9]`));
  });
});

describe('proof of work and the per-IP start limit', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await TestServer.start({
      config: {
        trust_proxy: true,
        proof_of_work: POW,
        rate_limits: { start_per_ip_per_hour: 4, authorize_per_ip_per_minute: 1000 },
      },
    });
  });
  afterAll(() => server.close());

  it('spends the hourly budget only on starts that go on: being asked for a challenge costs none', async () => {
    const clientId = await server.clientId();
    const ip = freshIp();
    const start = (pow?: unknown) =>
      server.post(
        '/passwordless/start',
        { client_id: clientId, connection: 'email', send: 'code', email: 'budget@example.com', pow },
        { headers: { 'x-forwarded-for': ip } },
      );
    for (let n = 0; n < THRESHOLD; n++) expect((await start()).status).toBe(200);
    let challenge = '';
    for (let n = 0; n < 10; n++) challenge = expectChallenge(await start()).challenge;
    for (let n = THRESHOLD; n < 4; n++) {
      if (n > THRESHOLD) challenge = expectChallenge(await start()).challenge;
      expect((await start({ challenge, nonce: solve(challenge, BITS) })).status).toBe(200);
    }
    // Past the limit, 429 comes first: no challenge is offered any more.
    const over = await start();
    expect(over.status).toBe(429);
    expect(over.body.error).toBe('too_many_requests');
  });
});

describe('proof of work at another difficulty', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-pow-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('refuses a challenge issued before the difficulty changed, though it is solved well past both', async () => {
    const always = { ...POW, after_starts_per_ip: 0 };
    const first = await TestServer.start({ dataDir, config: { proof_of_work: always } });
    const clientId = await first.clientId();
    const body = { client_id: clientId, connection: 'email', send: 'code', email: 'harder@example.com' };
    const { challenge } = expectChallenge(await first.post('/passwordless/start', body));
    await first.close();

    const second = await TestServer.start({
      dataDir,
      config: { proof_of_work: { ...always, difficulty_bits: BITS + 1 } },
    });
    try {
      const nonce = solve(challenge, BITS + 2);
      expect(meetsDifficulty(challenge, nonce, BITS + 1)).toBe(true);
      const answer = await second.post('/passwordless/start', { ...body, pow: { challenge, nonce } });
      const fresh = expectChallenge(answer, BITS + 1);
      // The new server's own challenges (same sealed secret, new difficulty) are accepted.
      const solved = { challenge: fresh.challenge, nonce: solve(fresh.challenge, BITS + 1) };
      expect((await second.post('/passwordless/start', { ...body, pow: solved })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('proof of work on the hosted login page', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start({ config: { trust_proxy: true, proof_of_work: POW } });
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  const authorizePath = () =>
    `/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: server.callback, response_type: 'token', nonce: 'n' })}`;

  /** The "Checking your browser…" page's form: where it posts, its fields and its challenge. */
  function checkForm(html: string) {
    const form =
      /<form id="pow" method="post" action="([^"]+)" data-challenge="([^"]+)" data-bits="(\d+)"/.exec(html);
    if (!form) throw new Error(`no challenge form in:\n${html}`);
    const fields = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]),
    );
    return { action: form[1] as string, challenge: form[2] as string, bits: Number(form[3]), fields };
  }

  it('shows "Checking your browser…" past the threshold and goes on with the solution, as its script does', async () => {
    const ip = freshIp();
    const headers = { 'x-forwarded-for': ip };
    const browser = new FormBrowser(server);
    const tx = location(await browser.get(authorizePath(), headers)).searchParams.get('tx') as string;
    for (let n = 0; n < THRESHOLD; n++) {
      const sent = await browser.form(
        '/u/login',
        { tx, connection: 'email', email: `page${n}@example.com` },
        headers,
      );
      expect(sent.status).toBe(303);
    }

    const asked = await browser.form(
      '/u/login',
      { tx, connection: 'email', email: 'checked@example.com', send: 'code' },
      headers,
    );
    expect(asked.status).toBe(200);
    expect(asked.body).toContain('Checking your browser…');
    expect(asked.body).toContain('<noscript>');
    expect(asked.body).toContain('<script src="/ui/pow.js" defer></script>');
    expect(asked.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(asked.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await server.inbox('checked@example.com')).toEqual([]);
    const form = checkForm(asked.body);
    expect(form.action).toBe('/u/login');
    expect(form.bits).toBe(BITS);
    expect(form.fields).toEqual({
      tx,
      connection: 'email',
      email: 'checked@example.com',
      send: 'code',
      pow: '',
    });
    expect((await server.get('/ui/pow.js')).status).toBe(200);

    const solution = `${form.challenge}:${solve(form.challenge, form.bits)}`;
    const sent = await browser.form(form.action, { ...form.fields, pow: solution }, headers);
    expect(sent.status).toBe(303);
    expect(location(sent).pathname).toBe('/u/login/code');
    expect(await server.inbox('checked@example.com')).toHaveLength(1);

    // A resend past the threshold is checked the same way.
    server.clock.advance(31_000);
    const codeTx = location(sent).searchParams.get('tx') as string;
    const resend = await browser.form('/u/login/resend', { tx: codeTx }, headers);
    expect(resend.status).toBe(200);
    const again = checkForm(resend.body);
    expect(again.action).toBe('/u/login/resend');
    expect(again.fields).toEqual({ tx: codeTx, pow: '' });
    const resent = await browser.form(
      again.action,
      { ...again.fields, pow: `${again.challenge}:${solve(again.challenge, again.bits)}` },
      headers,
    );
    expect(resent.status).toBe(303);
    expect(location(resent).searchParams.get('resent')).toBe('1');
    expect(await server.inbox('checked@example.com')).toHaveLength(2);
  });
});
