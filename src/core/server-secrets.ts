import type { Secrets } from './context.ts';
import type { ConnectionStore, SettingsStore } from './ports/store.ts';
import { isSealedText, openStored, type SecretBox, wrongMasterKey } from './secret-box.ts';
import type { Random } from './sources.ts';

/** A setting holding a known text sealed under the master key, to recognise the right key. */
const CHECK_SETTING = 'master_key_check';
const CHECK_TEXT = 'tessera master key check';

/**
 * Stops a start whose master key is not the one the database was sealed with, before anything is
 * sealed or made with it (a lost key file is silently replaced by a new one, see loadMasterKey).
 * The first start of a database keeps a value sealed under its key for the comparison; a database
 * from before that is checked on its sealed provider credentials.
 */
export async function checkMasterKey(store: SettingsStore & ConnectionStore, box: SecretBox): Promise<void> {
  let check = await store.getSetting(CHECK_SETTING);
  if (check === undefined) {
    try {
      await store.listConnections();
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_JWE_DECRYPTION_FAILED')
        throw wrongMasterKey('provider credentials');
      throw error;
    }
    check = await store.putSettingIfAbsent(CHECK_SETTING, await box.seal(CHECK_TEXT));
  }
  if ((await openStored(box, check, 'sealed values')) !== CHECK_TEXT) throw wrongMasterKey('sealed values');
}

/**
 * The server secrets, made on first start and kept sealed under the master key. A database from
 * before sealing holds them in the clear: they are sealed in place, keeping their values (codes
 * and access tokens issued before stay good).
 */
export async function loadSecrets(store: SettingsStore, box: SecretBox, random: Random): Promise<Secrets> {
  const codeKey = await serverSecret(store, box, 'code_hmac_key', random);
  const accessTokenKey = await serverSecret(store, box, 'access_token_key', random);
  const powKey = await serverSecret(store, box, 'pow_hmac_key', random);
  const transactionKey = await serverSecret(store, box, 'login_transaction_key', random);
  return {
    codeKey: Buffer.from(codeKey, 'base64url'),
    accessTokenKey: await aesKey(accessTokenKey),
    powKey: Buffer.from(powKey, 'base64url'),
    transactionKey: await aesKey(transactionKey),
  };
}

/** Imported once: jose would otherwise import the raw bytes again for every value it seals or opens. */
function aesKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', Buffer.from(secret, 'base64url'), 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
}

async function serverSecret(
  store: SettingsStore,
  box: SecretBox,
  name: string,
  random: Random,
): Promise<string> {
  const stored = await store.putSettingIfAbsent(name, await box.seal(random.token(32)));
  if (isSealedText(stored)) return openStored(box, stored, `server secret ${name}`);
  // Instances upgrading at once each write a seal of the same value: whichever lands opens the same.
  await store.putSetting(name, await box.seal(stored));
  return stored;
}
