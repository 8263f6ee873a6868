import { describe } from 'vitest';
import { testDatabaseUrl } from '../helpers/services.ts';
import { storeKinds } from '../helpers/stores.ts';
import { codesContract } from './store/codes.ts';
import { configurationContract } from './store/configuration.ts';
import { storeUnderTest } from './store/contract.ts';
import { housekeepingContract } from './store/housekeeping.ts';
import { lifecycleContract, schemaChurnContract } from './store/lifecycle.ts';
import { logsContract } from './store/logs.ts';
import { messagesContract } from './store/messages.ts';
import { rolesContract } from './store/roles.ts';
import { signingKeysContract } from './store/signing-keys.ts';
import { tokensContract } from './store/tokens.ts';
import { userAdminContract } from './store/user-admin.ts';
import { usersContract } from './store/users.ts';

// The Store contract: every implementation (SQLite, PGlite, the real PostgreSQL) passes the same
// tests, role by role (test/contract/store/), above all the atomic ones that single-use codes and
// attempt limits rest on. One file, so that PGlite starts once (seconds), and one store per kind,
// emptied between tests.

describe.each(storeKinds())('Store on $name', (kind) => {
  const subject = storeUnderTest(kind);
  lifecycleContract(subject);
  configurationContract(subject);
  usersContract(subject);
  userAdminContract(subject);
  rolesContract(subject);
  codesContract(subject);
  tokensContract(subject);
  signingKeysContract(subject);
  messagesContract(subject);
  housekeepingContract(subject);
  logsContract(subject);
});

schemaChurnContract(testDatabaseUrl());
