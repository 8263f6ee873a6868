import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyTimings } from '../../src/core/key-schedule.ts';
import { KeySet } from '../../src/core/keys.ts';
import { SecretBox } from '../../src/core/secret-box.ts';
import { loadMasterKey } from '../../src/tessera.ts';
import { TestServer } from '../helpers/server.ts';

// Two instances on one database: B is restarted with an application switched to ES256 and makes
// that algorithm's first key. A sees the application change within its 2 s cache, but would see
// the key only at its next reload (30 s): it must read the keys at once instead of failing logins.
describe('a signing algorithm whose first key another instance has just made', () => {
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    a = await TestServer.start();
    b = await TestServer.start({ dataDir: a.dataDir });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('signs with it on the instance that has not reloaded its keys yet', async () => {
    const clientId = await a.clientId();
    const ctx = b.server.ctx;
    await KeySet.open(ctx.store, new SecretBox(loadMasterKey(ctx.config)), ctx.clock, {
      algorithms: ['ES256'],
      timings: keyTimings(ctx.config, []),
    });
    const app = await ctx.store.getApplication(clientId);
    await ctx.store.putApplication({ ...app, id_token_signing_alg: 'ES256' } as never);

    const email = 'es256-switch@example.com';
    await expect
      .poll(async () => (await a.server.ctx.store.getApplication(clientId))?.id_token_signing_alg, {
        timeout: 5000,
      })
      .toBe('ES256');
    const code = await a.startCode(clientId, { email });
    const answer = await a.otpGrant(clientId, 'email', email, code, { scope: 'openid' });
    expect(answer.status).toBe(200);
    expect(decodeProtectedHeader(answer.body.id_token as string).alg).toBe('ES256');
  });
});
