import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { purgeExpired } from '../../src/core/housekeeping.ts';
import { FormBrowser, hostedEmailLogin, location } from '../helpers/form-browser.ts';
import { TestServer } from '../helpers/server.ts';

const DAY = 24 * 60 * 60 * 1000;
const RETENTION_DAYS = 3650;
const NOTHING = {
  login_codes: 0,
  authorization_codes: 0,
  login_transactions: 0,
  login_tickets: 0,
  sessions: 0,
  refresh_tokens: 0,
  inbox_messages: 0,
  outbox_messages: 0,
  outbox_attempts: 0,
  log_events: 0,
};

describe('purging expired rows', () => {
  let server: TestServer;
  let clientId: string;

  beforeEach(async () => {
    // The tenant log's own events (written a moment after each login) stay out of the counts.
    server = await TestServer.start({ config: { log_retention_days: RETENTION_DAYS } });
    clientId = await server.clientId();
  });
  afterEach(() => server.close());

  const purge = () => purgeExpired(server.server.ctx);
  const authorizePath = (params: Record<string, string>) =>
    `/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: server.callback, ...params })}`;

  async function otpLogin(email: string) {
    const tokens = await server.login(clientId, { email }, { scope: 'openid offline_access' });
    expect(tokens.status).toBe(200);
    return tokens.body;
  }

  const refresh = (token: string) =>
    server.post<Record<string, string>>('/oauth/token', {
      grant_type: 'refresh_token',
      client_id: clientId,
      refresh_token: token,
    });

  it('deletes tenant log events older than log_retention_days', async () => {
    const { store, clock } = server.server.ctx;
    const event = (log_id: string, date: number) => ({
      log_id,
      date,
      type: 's',
      description: 'Success Login',
      client_id: null,
      client_name: null,
      connection: null,
      connection_id: null,
      user_id: null,
      user_name: null,
      ip: null,
      user_agent: null,
      details: {},
    });
    const now = clock.now();
    await store.appendLogEvents([
      event(
        `${String(now - (RETENTION_DAYS + 1) * DAY).padStart(15, '0')}0000000000000001`,
        now - (RETENTION_DAYS + 1) * DAY,
      ),
      event(
        `${String(now - (RETENTION_DAYS - 1) * DAY).padStart(15, '0')}0000000000000002`,
        now - (RETENTION_DAYS - 1) * DAY,
      ),
    ]);
    expect(await purge()).toEqual({ ...NOTHING, log_events: 1 });
    expect(await store.countLogEvents()).toBe(1);
  });

  it('lets a login transaction expire after 30 minutes, with nothing stored to purge', async () => {
    const browser = new FormBrowser(server);
    const started = await browser.get(authorizePath({ response_type: 'token', nonce: 'n' }));
    const tx = location(started).searchParams.get('tx') as string;
    expect((await browser.get(`/u/login?tx=${tx}`)).status).toBe(200);

    server.clock.advance(31 * 60 * 1000);
    const live = await browser.get(authorizePath({ response_type: 'token', nonce: 'n' }));
    const liveTx = location(live).searchParams.get('tx') as string;
    expect((await browser.get(`/u/login?tx=${tx}`)).status).toBe(400);
    expect(await purge()).toEqual(NOTHING);
    // The transaction made since works.
    expect((await browser.get(`/u/login?tx=${liveTx}`)).status).toBe(200);
  });

  it('keeps what is live, and removes each kind of row once it is over', async () => {
    const kept = await otpLogin('kept@example.com');
    const revoked = await otpLogin('revoked@example.com');
    expect(
      (await server.post('/oauth/revoke', { client_id: clientId, token: revoked.refresh_token })).status,
    ).toBe(200);
    // A hosted login: a session, and an authorization code exchanged once.
    const browser = new FormBrowser(server);
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const done = await hostedEmailLogin(
      server,
      browser,
      authorizePath({ response_type: 'code', code_challenge: challenge, code_challenge_method: 'S256' }),
      'hosted@example.com',
    );
    const code = location(done).searchParams.get('code') as string;
    const exchanged = await server.post('/oauth/token', {
      grant_type: 'authorization_code',
      client_id: clientId,
      code,
      code_verifier: verifier,
      redirect_uri: server.callback,
    });
    expect(exchanged.status).toBe(200);
    await server.post('/passwordless/start', {
      client_id: clientId,
      connection: 'email',
      email: 'unused@example.com',
      send: 'code',
    });
    expect(await purge()).toEqual(NOTHING);

    // Two days on: codes have expired, the revoked token's day of grace is over, the inbox's too.
    server.clock.advance(2 * DAY);
    expect(await purge()).toEqual({
      ...NOTHING,
      login_codes: 4,
      authorization_codes: 1,
      refresh_tokens: 1,
      inbox_messages: 4,
    });
    expect(await server.inbox('unused@example.com')).toEqual([]);
    const rotated = await refresh(kept.refresh_token as string);
    expect(rotated.status).toBe(200);
    const silent = await browser.get(authorizePath({ response_type: 'token', nonce: 'n', prompt: 'none' }));
    expect(new URLSearchParams(location(silent).hash.slice(1)).get('access_token')).toBeTruthy();

    // Ten days on: the session has been idle past its limit.
    server.clock.advance(8 * DAY);
    expect(await purge()).toEqual({ ...NOTHING, sessions: 1 });
    const again = await browser.get(authorizePath({ response_type: 'token', nonce: 'n', prompt: 'none' }));
    expect(new URLSearchParams(location(again).hash.slice(1)).get('error')).toBe('login_required');

    // Past the refresh tokens' lifetime and its day of grace: the rotated pair goes.
    server.clock.advance(30 * DAY);
    expect(await purge()).toEqual({ ...NOTHING, refresh_tokens: 2 });
    expect(await purge()).toEqual(NOTHING);
    expect((await refresh(rotated.body.refresh_token as string)).status).toBe(403);
  });

  it('removes outbox messages a week after they were final, with their attempts', async () => {
    // The dev inbox skips the outbox, so these messages are written as a real provider's would be.
    const { store } = server.server.ctx;
    const now = server.clock.now();
    const message = (id: string, status: 'pending' | 'sent' | 'failed', at: number) =>
      store.putOutboxMessage({
        id,
        connection: 'email',
        channel: 'email',
        recipient: `${id}@example.com`,
        body: status === 'pending' ? '{}' : null,
        status,
        attempts: 1,
        use_secondary: false,
        next_attempt_at: at,
        claimed_until: null,
        expires_at: at + 5 * 60 * 1000,
        provider: 'smtp',
        provider_message_id: null,
        last_error: null,
        created_at: at,
        updated_at: at,
      });
    const attempt = (messageId: string, n: number) =>
      store.putOutboxAttempt({
        id: `${messageId}-${n}`,
        message_id: messageId,
        provider: 'smtp',
        outcome: 'transient',
        http_status: null,
        error: null,
        latency_ms: 1,
        provider_message_id: null,
        created_at: now,
      });
    await message('sent-old', 'sent', now - 8 * DAY);
    await attempt('sent-old', 1);
    await attempt('sent-old', 2);
    await message('failed-old', 'failed', now - 8 * DAY);
    await attempt('failed-old', 1);
    await message('stuck-old', 'pending', now - 8 * DAY);
    await message('sent-recent', 'sent', now - 6 * DAY);
    await attempt('sent-recent', 1);
    await message('pending-live', 'pending', now);

    expect(await purge()).toEqual({ ...NOTHING, outbox_messages: 3, outbox_attempts: 3 });
    for (const id of ['sent-old', 'failed-old', 'stuck-old']) {
      expect(await store.getOutboxMessage(id)).toBeUndefined();
      expect(await store.listOutboxAttempts(id)).toEqual([]);
    }
    expect(await store.getOutboxMessage('sent-recent')).toBeDefined();
    expect(await store.listOutboxAttempts('sent-recent')).toHaveLength(1);
    expect(await store.getOutboxMessage('pending-live')).toBeDefined();
  });

  it('works off a backlog of several batches in one run, a batch per statement', async () => {
    const { store } = server.server.ctx;
    const now = server.clock.now();
    for (const id of ['a', 'b', 'c', 'd', 'e']) {
      await store.putInboxMessage({
        id,
        to: 'backlog@example.com',
        channel: 'email',
        subject: null,
        text: 'x',
        html: null,
        code: null,
        link: null,
        created_at: now - 2 * DAY,
      });
    }
    expect((await purgeExpired(server.server.ctx, { batch: 2 })).inbox_messages).toBe(5);
    expect(await server.inbox('backlog@example.com')).toEqual([]);
  });

  it('deletes at most a batch from a table per statement', async () => {
    const { store } = server.server.ctx;
    const now = server.clock.now();
    for (const id of ['a', 'b', 'c']) {
      await store.putInboxMessage({
        id,
        to: 'batch@example.com',
        channel: 'email',
        subject: null,
        text: 'x',
        html: null,
        code: null,
        link: null,
        created_at: now - 2 * DAY,
      });
    }
    const before = { expired: 0, sessionsUsed: 0, refreshTokens: 0, outbox: 0, inbox: now - DAY };
    expect((await store.purgeExpired(before, 2)).inbox_messages).toBe(2);
    expect((await store.purgeExpired(before, 2)).inbox_messages).toBe(1);
    expect((await store.purgeExpired(before, 2)).inbox_messages).toBe(0);
  });
});
