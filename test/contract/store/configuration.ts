import { describe, expect, it } from 'vitest';
import type { ConnectionCodec } from '../../../src/core/ports/store.ts';
import type { KyselyStore } from '../../../src/store/kysely-store.ts';
import { race, type StoreUnderTest } from './contract.ts';

/** Settings, applications and connections, and what an instance keeps of them. */
export function configurationContract(subject: StoreUnderTest): void {
  const { kind } = subject;
  describe('settings', () => {
    it('keeps the first value of a setting put if absent, and overwrites on put', async () => {
      const { store } = subject;
      const values = await race(5, (i) => store.putSettingIfAbsent('k', `v${i}`));
      expect(new Set(values).size).toBe(1);
      expect(await store.getSetting('k')).toBe(values[0]);
      await store.putSetting('k', 'changed');
      expect(await store.getSetting('k')).toBe('changed');
      expect(await store.getSetting('missing')).toBeUndefined();
    });
  });

  describe('applications and connections', () => {
    it('stores applications and connections, replacing and deleting them', async () => {
      const { store } = subject;
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
    it('gives a connection an id when first written, keeps it, and finds the connection by it', async () => {
      const { store } = subject;
      await store.putConnection({ name: 'sms', strategy: 'sms', options: {} } as never);
      const first = await store.getConnection('sms');
      expect(first?.id).toMatch(/^con_[0-9a-f]{16}$/);
      // Written again (a start, a PATCH) without or with another id: the stored id stays.
      await store.putConnection({ name: 'sms', strategy: 'sms', options: { from: 'x' } } as never);
      await store.putConnection({ id: 'con_other', name: 'sms', strategy: 'sms', options: {} } as never);
      expect((await store.getConnection('sms'))?.id).toBe(first?.id);
      expect((await store.getConnectionById(first?.id as string))?.name).toBe('sms');
      expect(await store.getConnectionById('con_missing')).toBeUndefined();
      await store.putConnection({ name: 'email', strategy: 'email', options: {} } as never);
      const ids = (await store.listConnections()).map((c) => c.id);
      expect(new Set(ids).size).toBe(2);
    });
    it('writes applications through its codec', async () => {
      const sealed = await kind.open(undefined, {
        encode: async (app) => `sealed:${JSON.stringify(app)}`,
        decode: async (data) => JSON.parse(data.slice('sealed:'.length)),
      });
      try {
        await sealed.store.putApplication({ client_id: 'c-app', name: 'C', client_secret: 's' } as never);
        const raw = await sealed.store.db.selectFrom('applications').select('data').executeTakeFirstOrThrow();
        expect(raw.data.startsWith('sealed:')).toBe(true);
        expect((await sealed.store.getApplication('c-app'))?.client_secret).toBe('s');
        expect((await sealed.store.listApplications()).map((a) => a.client_id)).toEqual(['c-app']);
      } finally {
        await sealed.dispose();
      }
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
    it('are seen by a second store on the same database within its cache time', async () => {
      // A short cache time: waiting out the default one (2 s, twice) was most of the suite's time.
      const fresh = await kind.fresh(2, { configCacheMs: 200 });
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
}
