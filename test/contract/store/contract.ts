import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { KyselyStore } from '../../../src/store/kysely-store.ts';
import { emptyStore, type OpenedStore, type StoreKind } from '../../helpers/stores.ts';

// What each role's part of the Store contract is given: the store of one kind, and that kind
// (to open stores of its own: on a new database, with another codec).

export const NOW = 1_800_000_000_000;
export const HOUR = 3_600_000;

export interface StoreUnderTest {
  readonly kind: StoreKind;
  /** One migrated store for the whole file, empty at the start of each test. */
  readonly store: KyselyStore;
}

/**
 * Opens one store of `kind` for the tests declared after it in the same block, and empties it
 * before each: a new database per test made the suite wait on migrations, not on what it checks.
 */
export function storeUnderTest(kind: StoreKind): StoreUnderTest {
  let opened: OpenedStore | undefined;
  beforeAll(async () => {
    opened = await kind.open();
  });
  beforeEach(async () => {
    await emptyStore(subject.store);
  });
  afterAll(async () => {
    await opened?.dispose();
  });
  const subject = {
    kind,
    get store(): KyselyStore {
      if (!opened) throw new Error('the store is opened before the first test');
      return opened.store;
    },
  };
  return subject;
}

/** Runs `count` copies of `task` at once and returns their results. */
export function race<T>(count: number, task: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => task(i)));
}
