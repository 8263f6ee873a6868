import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuthorizationCode,
  LoginCode,
  LoginTicket,
  OutboxMessage,
  RefreshToken,
} from '../../src/core/model.ts';
import type { ConnectionCodec } from '../../src/core/ports/store.ts';
import type { KyselyStore } from '../../src/store/kysely-store.ts';
import { testDatabaseUrl, uniqueSchema } from '../helpers/services.ts';
import { type OpenedStore, postgresKind, storeKinds } from '../helpers/stores.ts';

// The Store contract: every implementation (SQLite, PGlite, the real PostgreSQL) passes the same
// tests, above all the atomic ones that single-use codes and attempt limits rest on.

const NOW = 1_800_000_000_000;
const HOUR = 3_600_000;

function loginCode(overrides: Partial<LoginCode> = {}): LoginCode {
  return {
    id: 'lc1',
    client_id: 'app1',
    connection: 'email',
    identifier: 'ada@example.com',
    send: 'code',
    code_hash: 'hash-1',
    binding_hash: null,
    auth_params: { scope: 'openid' },
    attempts: 0,
    max_attempts: 3,
    created_at: NOW,
    expires_at: NOW + HOUR,
    consumed_at: null,
    ...overrides,
  };
}

function outboxMessage(overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  return {
    id: 'm1',
    connection: 'email',
    channel: 'email',
    recipient: 'ada@example.com',
    body: 'sealed-body',
    status: 'pending',
    attempts: 0,
    use_secondary: false,
    next_attempt_at: NOW,
    claimed_until: null,
    expires_at: NOW + HOUR,
    provider: null,
    provider_message_id: null,
    last_error: null,
    created_at: NOW,
    updated_at: NOW,
    ...overrides,
  };
}

function refreshToken(overrides: Partial<RefreshToken> = {}): RefreshToken {
  return {
    id: 'rt1',
    token_hash: 'rt-hash-1',
    family_id: 'fam1',
    client_id: 'app1',
    user_id: 'email|1',
    scope: 'openid offline_access',
    audience: null,
    session_id: 's1',
    auth_time: NOW,
    created_at: NOW,
    expires_at: NOW + HOUR,
    used_at: null,
    revoked_at: null,
    ...overrides,
  };
}

function authorizationCode(overrides: Partial<AuthorizationCode> = {}): AuthorizationCode {
  return {
    code_hash: 'ac-hash',
    client_id: 'app1',
    user_id: 'email|1',
    redirect_uri: 'https://app.example.com/callback',
    scope: 'openid',
    audience: null,
    nonce: 'n-1',
    code_challenge: 'challenge',
    code_challenge_method: 'S256',
    auth_time: NOW,
    session_id: 's1',
    expires_at: NOW + 60_000,
    consumed_at: null,
    ...overrides,
  };
}

function loginTicket(overrides: Partial<LoginTicket> = {}): LoginTicket {
  return {
    ticket_hash: 'tk-hash',
    co_id: 'co1',
    verifier_hash: 'vh',
    client_id: 'app1',
    user_id: 'email|1',
    origin: 'https://app.example.com',
    auth_time: NOW,
    expires_at: NOW + 60_000,
    consumed_at: null,
    ...overrides,
  };
}

const newUser = (n: number, overrides: Record<string, unknown> = {}) => ({
  user_id: `email|${n}`,
  connection: 'email',
  email: `user${n}@example.com`,
  phone_number: null,
  created_at: NOW,
  ...overrides,
});

/** Runs `count` copies of `task` at once and returns their results. */
function race<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => task(i)));
}

describe.each(storeKinds())('Store contract on $name', (kind) => {
  let opened: OpenedStore;
  let store: KyselyStore;

  beforeEach(async () => {
    opened = await kind.open();
    store = opened.store;
  });
  afterEach(async () => {
    await opened.dispose();
  });

  it('answers a ping and migrates again without change', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
    await store.migrate();
    await expect(store.listApplications()).resolves.toEqual([]);
  });

  it('keeps the first value of a setting put if absent, and overwrites on put', async () => {
    const values = await race(5, (i) => store.putSettingIfAbsent('k', `v${i}`));
    expect(new Set(values).size).toBe(1);
    expect(await store.getSetting('k')).toBe(values[0]);
    await store.putSetting('k', 'changed');
    expect(await store.getSetting('k')).toBe('changed');
    expect(await store.getSetting('missing')).toBeUndefined();
  });

  it('stores applications and connections, replacing and deleting them', async () => {
    const app = { client_id: 'b-app', name: 'B', callbacks: ['https://b.example/cb'] };
    await store.putApplication(app as never);
    await store.putApplication({ client_id: 'a-app', name: 'A' } as never);
    await store.putApplication({ ...app, name: 'B2' } as never);
    const apps = await store.listApplications();
    expect(apps.map((a) => a.client_id)).toEqual(['a-app', 'b-app']);
    expect((await store.getApplication('b-app'))?.name).toBe('B2');
    await store.deleteApplication('a-app');
    expect(await store.getApplication('a-app')).toBeUndefined();

    await store.putConnection({ name: 'email', strategy: 'email', options: {} } as never);
    expect((await store.getConnection('email'))?.strategy).toBe('email');
    expect(await store.listConnections()).toHaveLength(1);
    await store.deleteConnection('email');
    expect(await store.getConnection('email')).toBeUndefined();
  });

  it('writes connections through its codec', async () => {
    const codec: ConnectionCodec = {
      encode: async (c) => `sealed:${JSON.stringify(c)}`,
      decode: async (data) => JSON.parse(data.slice('sealed:'.length)),
    };
    const sealed = await kind.open(codec);
    try {
      await sealed.store.putConnection({
        name: 'sms',
        strategy: 'sms',
        options: { twilio_token: 't' },
      } as never);
      const raw = await sealed.store.db.selectFrom('connections').select('data').executeTakeFirstOrThrow();
      expect(raw.data.startsWith('sealed:')).toBe(true);
      expect((await sealed.store.getConnection('sms'))?.options).toEqual({ twilio_token: 't' });
    } finally {
      await sealed.dispose();
    }
  });

  it('creates a user once however many requests race to, and finds it by identifier', async () => {
    const results = await race(10, () => store.createUser(newUser(1)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.user.user_id))).toEqual(new Set(['email|1']));
    const user = await store.findUser('email', 'email', 'user1@example.com');
    expect(user).toMatchObject({
      user_id: 'email|1',
      email_verified: false,
      blocked: false,
      logins_count: 0,
      created_at: NOW,
      app_metadata: {},
    });
    expect(typeof user?.created_at).toBe('number');
    expect(await store.findUser('other', 'email', 'user1@example.com')).toBeUndefined();

    const phone = await store.createUser(
      newUser(2, { email: null, phone_number: '+14155550100', connection: 'sms', phone_verified: true }),
    );
    expect(phone.created).toBe(true);
    expect((await store.findUser('sms', 'phone_number', '+14155550100'))?.phone_verified).toBe(true);
  });

  it('updates users field by field and counts logins atomically', async () => {
    await store.createUser(newUser(1));
    const updated = await store.updateUser('email|1', {
      name: 'Ada',
      app_metadata: { plan: 'pro' },
      blocked: true,
    });
    expect(updated).toMatchObject({
      name: 'Ada',
      app_metadata: { plan: 'pro' },
      blocked: true,
      user_metadata: {},
    });
    expect(await store.updateUser('email|nobody', { name: 'x' })).toBeUndefined();

    await race(20, (i) => store.recordLogin('email|1', 'email', `10.0.0.${i}`, NOW + i));
    const user = await store.getUser('email|1');
    expect(user?.logins_count).toBe(20);
    expect(user?.email_verified).toBe(true);
    expect(typeof user?.last_login).toBe('number');
  });

  it('replaces the login code of the same client, connection and identifier', async () => {
    await store.putLoginCode(loginCode());
    await store.putLoginCode(loginCode({ id: 'lc2', code_hash: 'hash-2', attempts: 0 }));
    const code = await store.findLoginCode('app1', 'email', 'ada@example.com');
    expect(code).toMatchObject({ id: 'lc2', code_hash: 'hash-2', auth_params: { scope: 'openid' } });
    expect(code?.expires_at).toBe(NOW + HOUR);
    expect(await store.findLoginCode('app2', 'email', 'ada@example.com')).toBeUndefined();
  });

  it('gives out exactly max_attempts attempts to concurrent guesses', async () => {
    await store.putLoginCode(loginCode({ max_attempts: 5 }));
    const taken = await race(30, () => store.takeLoginAttempt('lc1', NOW));
    expect(taken.filter(Boolean)).toHaveLength(5);
    expect((await store.findLoginCode('app1', 'email', 'ada@example.com'))?.attempts).toBe(5);
    await store.returnLoginAttempt('lc1');
    expect(await store.takeLoginAttempt('lc1', NOW)).toMatchObject({ attempts: 5 });
    expect(await store.takeLoginAttempt('lc1', NOW)).toBeUndefined();
  });

  it('refuses attempts on an expired or used code', async () => {
    await store.putLoginCode(loginCode());
    expect(await store.takeLoginAttempt('lc1', NOW + HOUR)).toBeUndefined();
    expect(await store.consumeLoginCode('lc1', NOW)).toBe(true);
    expect(await store.takeLoginAttempt('lc1', NOW)).toBeUndefined();
    await store.deleteLoginCode('lc1');
    expect(await store.findLoginCode('app1', 'email', 'ada@example.com')).toBeUndefined();
  });

  it('lets exactly one of many concurrent consumers use a login code', async () => {
    await store.putLoginCode(loginCode());
    const won = await race(25, () => store.consumeLoginCode('lc1', NOW));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('hands an authorization code out once, and never after it expires', async () => {
    await store.putAuthorizationCode(authorizationCode());
    const results = await race(10, () => store.consumeAuthorizationCode('ac-hash', NOW, 'fam-1'));
    const winners = results.filter(Boolean);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ nonce: 'n-1', auth_time: NOW, code_challenge_method: 'S256' });

    await store.putAuthorizationCode(authorizationCode({ code_hash: 'old', expires_at: NOW }));
    expect(await store.consumeAuthorizationCode('old', NOW, 'fam-2')).toBeUndefined();
  });

  it('records a used authorization code presented again, with the family its exchange started', async () => {
    await store.putAuthorizationCode(authorizationCode());
    // Unused codes are not "presented again".
    expect(await store.markAuthorizationCodeReused('ac-hash', NOW)).toBeUndefined();
    expect(await store.authorizationCodeReused('ac-hash')).toBe(false);
    await store.consumeAuthorizationCode('ac-hash', NOW, 'fam-1');
    expect(await store.authorizationCodeReused('ac-hash')).toBe(false);
    expect(await store.markAuthorizationCodeReused('ac-hash', NOW + 1)).toBe('fam-1');
    expect(await store.authorizationCodeReused('ac-hash')).toBe(true);
    expect(await store.markAuthorizationCodeReused('unknown', NOW)).toBeUndefined();
  });

  it('rotates refresh tokens once and revokes a whole family', async () => {
    await store.putRefreshToken(refreshToken());
    await store.putRefreshToken(refreshToken({ id: 'rt2', token_hash: 'rt-hash-2' }));
    expect(await store.findRefreshToken('rt-hash-1')).toMatchObject({
      id: 'rt1',
      used_at: null,
      expires_at: NOW + HOUR,
    });
    const won = await race(10, () => store.useRefreshToken('rt1', NOW));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await store.findRefreshToken('rt-hash-1'))?.used_at).toBe(NOW);

    await store.revokeRefreshFamily('fam1', NOW + 1);
    expect(await store.useRefreshToken('rt2', NOW + 2)).toBe(false);
    expect((await store.findRefreshToken('rt-hash-2'))?.revoked_at).toBe(NOW + 1);
  });

  it('lists dev inbox messages newest first, by recipient', async () => {
    for (let i = 0; i < 5; i++) {
      await store.putInboxMessage({
        id: `i${i}`,
        to: i % 2 === 0 ? 'a@example.com' : 'b@example.com',
        channel: 'email',
        subject: `s${i}`,
        text: 'text',
        html: null,
        code: '123456',
        link: null,
        created_at: NOW + i,
      });
    }
    expect((await store.listInboxMessages(undefined, 10)).map((m) => m.id)).toEqual([
      'i4',
      'i3',
      'i2',
      'i1',
      'i0',
    ]);
    expect((await store.listInboxMessages('a@example.com', 2)).map((m) => m.id)).toEqual(['i4', 'i2']);
    expect((await store.listInboxMessages('b@example.com', 10))[0]).toMatchObject({
      to: 'b@example.com',
      created_at: NOW + 3,
    });
  });

  it('lets one sender claim a due outbox message, and empties its body once final', async () => {
    await store.putOutboxMessage(outboxMessage());
    await store.putOutboxMessage(outboxMessage({ id: 'later', next_attempt_at: NOW + 1000 }));
    await store.putOutboxMessage(outboxMessage({ id: 'expired', expires_at: NOW }));
    expect(await store.dueOutboxMessages(NOW, 10)).toEqual(['m1']);

    const claims = await race(10, () => store.claimOutboxMessage('m1', NOW, NOW + 5000));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.dueOutboxMessages(NOW + 1000, 10)).toEqual(['later']);
    // Once the claim runs out (a sender died), another may take it.
    expect(await store.claimOutboxMessage('m1', NOW + 6000, NOW + 9000)).toBe(true);

    await store.updateOutboxMessage('m1', { attempts: 1, use_secondary: true, last_error: 'timeout' });
    expect(await store.getOutboxMessage('m1')).toMatchObject({
      attempts: 1,
      use_secondary: true,
      body: 'sealed-body',
    });
    await store.updateOutboxMessage('m1', { status: 'sent', provider: 'smtp', updated_at: NOW + 7000 });
    expect(await store.getOutboxMessage('m1')).toMatchObject({
      status: 'sent',
      body: null,
      updated_at: NOW + 7000,
    });
    expect(await store.claimOutboxMessage('m1', NOW + 20_000, NOW + 30_000)).toBe(false);

    await store.putOutboxAttempt({
      id: 'a2',
      message_id: 'm1',
      provider: 'smtp',
      outcome: 'sent',
      http_status: null,
      error: null,
      latency_ms: 12,
      provider_message_id: '<x@y>',
      created_at: NOW + 2,
    });
    await store.putOutboxAttempt({
      id: 'a1',
      message_id: 'm1',
      provider: 'smtp',
      outcome: 'transient',
      http_status: 503,
      error: 'busy',
      latency_ms: 30,
      provider_message_id: null,
      created_at: NOW + 1,
    });
    expect((await store.listOutboxAttempts('m1')).map((a) => [a.id, a.outcome, a.created_at])).toEqual([
      ['a1', 'transient', NOW + 1],
      ['a2', 'sent', NOW + 2],
    ]);
  });

  it('keeps sessions, login transactions and tickets, and consumes a ticket once', async () => {
    await store.putSession({
      id: 's1',
      token_hash: 'st-hash',
      user_id: 'email|1',
      auth_time: NOW,
      created_at: NOW,
      last_used_at: NOW,
      expires_at: NOW + HOUR,
    });
    await store.touchSession('s1', NOW + 5);
    expect(await store.findSession('st-hash')).toMatchObject({ id: 's1', last_used_at: NOW + 5 });
    await store.deleteSession('s1');
    expect(await store.findSession('st-hash')).toBeUndefined();

    await store.putLoginTicket(loginTicket());
    expect((await store.findLoginTicket('tk-hash'))?.co_id).toBe('co1');
    const won = await race(10, () => store.consumeLoginTicket('tk-hash', NOW));
    expect(won.filter(Boolean)).toHaveLength(1);
  });

  it('purges only rows past their cut-off, at most `limit` a table at a time', async () => {
    for (let i = 0; i < 3; i++)
      await store.putLoginCode(
        loginCode({ id: `old${i}`, identifier: `old${i}@x.com`, expires_at: NOW - 1 }),
      );
    await store.putLoginCode(loginCode({ id: 'live' }));
    await store.putRefreshToken(refreshToken({ expires_at: NOW - 1 }));
    await store.putOutboxMessage(
      outboxMessage({ id: 'done', status: 'sent', body: null, updated_at: NOW - 1 }),
    );
    await store.putOutboxMessage(outboxMessage({ id: 'pending' }));
    const before = { expired: NOW, sessionsUsed: NOW, refreshTokens: NOW, outbox: NOW, inbox: NOW };

    const first = await store.purgeExpired(before, 2);
    expect(first.login_codes).toBe(2);
    expect(first.refresh_tokens).toBe(1);
    const second = await store.purgeExpired(before, 2);
    expect(second.login_codes).toBe(1);
    expect(await store.findLoginCode('app1', 'email', 'ada@example.com')).toMatchObject({ id: 'live' });
    expect(await store.getOutboxMessage('done')).toBeUndefined();
    expect(await store.getOutboxMessage('pending')).toBeDefined();
  });
});

describe.each(storeKinds())('migrations on $name', (kind) => {
  it('applies each migration once when several stores migrate one new database at once', async () => {
    const fresh = await kind.fresh(4);
    try {
      const applied = await Promise.all(fresh.stores.map((s) => s.migrate()));
      const all = applied.flat();
      expect(all.length).toBeGreaterThan(4);
      expect(new Set(all).size).toBe(all.length);
      for (const store of fresh.stores) await expect(store.listApplications()).resolves.toEqual([]);
      expect(await fresh.stores[0]?.migrate()).toEqual([]);
    } finally {
      await fresh.dispose();
    }
  });
});

const postgresUrl = testDatabaseUrl();

// Another client on the same PostgreSQL database (another deployment's tests, a tenant's teardown)
// making and dropping schemas while an instance starts: the instance's migrations must not read
// those schemas. (PGlite is one session, so nothing can drop a schema during its migrations.)
describe.skipIf(!postgresUrl)('migrations on postgres while another client drops schemas', () => {
  it('migrate every time', async () => {
    const url = postgresUrl as string;
    const churn = new pg.Client({ connectionString: url });
    await churn.connect();
    let stop = false;
    const churning = (async () => {
      while (!stop) {
        const schema = uniqueSchema('churn');
        await churn.query(
          `create schema ${schema}; create table ${schema}.t (id serial primary key, a text)`,
        );
        await churn.query(`drop schema ${schema} cascade`);
      }
    })();
    const failures: string[] = [];
    try {
      for (let n = 0; n < 15; n++) {
        const fresh = await postgresKind(url).fresh(1);
        try {
          const store = fresh.stores[0] as KyselyStore;
          await store.migrate();
          // What the migrator reads: this store's own tables, of one schema, and nothing else's.
          const tables = await store.db.introspection.getTables({ withInternalKyselyTables: true });
          expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['users', 'kysely_migration']));
          expect(new Set(tables.map((t) => t.schema)).size).toBe(1);
        } catch (error) {
          failures.push(String(error));
        } finally {
          await fresh.dispose();
        }
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
    }
    expect(failures).toEqual([]);
  }, 60_000);
});

describe.each(storeKinds())('applications and connections read by another store on $name', (kind) => {
  it('are seen by a second store on the same database within its cache time', async () => {
    const fresh = await kind.fresh(2);
    try {
      const [one, two] = fresh.stores as [KyselyStore, KyselyStore];
      await one.migrate();
      expect(await two.getApplication('late-app')).toBeUndefined();
      await one.putApplication({ client_id: 'late-app', name: 'Late' } as never);
      // The writer sees it at once; the other store once its cached answer expires.
      expect((await one.getApplication('late-app'))?.name).toBe('Late');
      await expect
        .poll(async () => (await two.getApplication('late-app'))?.name, { timeout: 5000 })
        .toBe('Late');
      await one.deleteApplication('late-app');
      expect(await one.getApplication('late-app')).toBeUndefined();
      await expect.poll(() => two.getApplication('late-app'), { timeout: 5000 }).toBeUndefined();
    } finally {
      await fresh.dispose();
    }
  });
});
