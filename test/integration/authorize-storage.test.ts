import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormBrowser, hostedEmailLogin, location } from '../helpers/form-browser.ts';
import { TestServer } from '../helpers/server.ts';

/** Rows in every table of the server's SQLite file, read through a connection of its own. */
function rowCounts(dataDir: string): Record<string, number> {
  const db = new Database(join(dataDir, 'tessera.db'), { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")
      .all() as { name: string }[];
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        (db.prepare(`select count(*) as n from "${name}"`).get() as { n: number }).n,
      ]),
    );
  } finally {
    db.close();
  }
}

// Anyone may GET /authorize, as often as the per-IP page limit lets them: it must not write a row
// each time, or a few addresses could grow the database faster than housekeeping empties it.
describe('an authorize request that shows the login page', () => {
  let server: TestServer;
  let clientId: string;

  beforeAll(async () => {
    server = await TestServer.start();
    clientId = await server.clientId();
  });
  afterAll(() => server.close());

  const authorizePath = (state: string) =>
    `/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: server.callback, response_type: 'token', state, scope: 'openid '.repeat(200) })}`;

  it('stores nothing, however many arrive, and each one still leads to a login', async () => {
    const before = rowCounts(server.dataDir);
    const first = new FormBrowser(server);
    const opened = await first.get(authorizePath('first'));
    expect(location(opened).pathname).toBe('/u/login');
    for (let i = 0; i < 300; i++) {
      const answer = await new FormBrowser(server).get(authorizePath(`s${i}`));
      expect(answer.status).toBe(302);
    }
    expect(rowCounts(server.dataDir)).toEqual(before);

    // The first of them is still good: the transaction travels with the browser.
    const done = await hostedEmailLogin(server, first, authorizePath('first'), 'stateless@example.com');
    expect(new URLSearchParams(location(done).hash.slice(1)).get('state')).toBe('first');
  });

  it('refuses a transaction that was tampered with or belongs to another browser', async () => {
    const browser = new FormBrowser(server);
    const tx = location(await browser.get(authorizePath('mine'))).searchParams.get('tx') as string;
    expect((await browser.get(`/u/login?tx=${tx}`)).status).toBe(200);
    const flipped = `${tx.slice(0, -5)}${tx.slice(-5, -4) === 'A' ? 'B' : 'A'}${tx.slice(-4)}`;
    expect((await browser.get(`/u/login?tx=${flipped}`)).status).toBe(400);
    expect((await new FormBrowser(server).get(`/u/login?tx=${tx}`)).status).toBe(400);
  });
});
