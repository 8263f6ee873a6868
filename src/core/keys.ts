import { errors, type JWK, type JWTHeaderParameters, type JWTPayload, SignJWT } from 'jose';
import {
  isPublished,
  type KeyState,
  type KeyTimes,
  type KeyTimings,
  keyState,
  newestFirst,
  publishedKeys,
  replacedKid,
  rotationDue,
  rotationTimes,
  signingKey,
} from './key-schedule.ts';
import type { SigningKey } from './model.ts';
import type { SigningKeyStore } from './ports/store.ts';
import { isSealedText, type SecretBox } from './secret-box.ts';
import {
  type KeyAlgorithm,
  type KeyMaterial,
  makeSigningKey,
  openSigningKey,
} from './signing-key-material.ts';
import type { Clock } from './sources.ts';

export type { KeyAlgorithm } from './signing-key-material.ts';

export interface KeySetOptions {
  /** Algorithms that must have a key (RS256 always has one). */
  algorithms?: readonly KeyAlgorithm[];
  timings: KeyTimings;
  /** Where reload failures and automatic rotations are told (the server's logger). */
  log?: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

/** A key as `tessera keys list` shows it: times and state, never private material. */
export interface KeyInfo extends KeyTimes {
  state: KeyState;
}

/** The outcome of rotating one algorithm: its new key, or none when another rotation landed first. */
export interface Rotation {
  alg: KeyAlgorithm;
  key: KeyInfo | undefined;
}

/** A token naming a kid not loaded reloads the keys at most this often (by the clock). */
const UNKNOWN_KID_RELOAD_MS = 5_000;

/**
 * How long a request waits for a reload of the keys before it goes on with the keys loaded: a
 * slow database must not slow signing and the JWKS, which need no database.
 */
const RELOAD_WAIT_MS = 500;

/**
 * The server's signing keys, read from the store (private halves sealed under the master key) and
 * read again every `reloadMs`, so a rotation made by another instance or by `tessera keys rotate`
 * is seen everywhere. Which key signs and which are published follows from the stored times
 * (key-schedule.ts): every instance agrees without coordination.
 */
export class KeySet {
  private keys: KeyTimes[] = [];
  private material = new Map<string, KeyMaterial>();
  private nextReloadAt = Number.NEGATIVE_INFINITY;
  private lastUnknownKidReload = Number.NEGATIVE_INFINITY;
  private reloading: Promise<void> | undefined;
  /** True from a failed reload until one succeeds: the failure is logged once, not every reload_s. */
  private reloadFailing = false;

  private constructor(
    private readonly store: SigningKeyStore,
    private readonly box: SecretBox,
    private readonly clock: Clock,
    private readonly options: KeySetOptions,
  ) {}

  /**
   * Loads the stored keys (sealing any a database from before sealing holds in the clear) and
   * makes a key for each needed algorithm that has none. A master key that cannot open them
   * throws MasterKeyError.
   */
  static async open(
    store: SigningKeyStore,
    box: SecretBox,
    clock: Clock,
    options: KeySetOptions,
  ): Promise<KeySet> {
    const set = new KeySet(store, box, clock, options);
    await set.load();
    for (const alg of new Set<KeyAlgorithm>(['RS256', ...(options.algorithms ?? [])])) {
      const now = clock.now();
      if (set.keys.some((k) => k.alg === alg && isPublished(k, now))) continue;
      // Another instance starting at once may make it first: then its key is the one loaded.
      await store.putSigningKey(await set.makeKey(alg, now, now));
      await set.load();
    }
    await set.rotateIfDue();
    set.nextReloadAt = clock.now() + options.timings.reloadMs;
    return set;
  }

  /** Signs claims with the key of `algorithm` that signs now (`kid` in the header). */
  async sign(payload: JWTPayload, typ?: string, algorithm: KeyAlgorithm = 'RS256'): Promise<string> {
    await this.fresh();
    let key = signingKey(this.keys, algorithm, this.clock.now());
    if (!key) {
      // Another instance may have just made this algorithm's first key (an application switched
      // to ES256 there): read the keys again now rather than at the next reload.
      await this.reloadSoon();
      key = signingKey(this.keys, algorithm, this.clock.now());
    }
    const material = key && this.material.get(key.kid);
    if (!key || !material) throw new Error(`no ${algorithm} signing key`);
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, ...(typ && { typ }) })
      .sign(material.privateKey);
  }

  /** The published public keys: the signing ones, the next ones, and those whose tokens may still be live. */
  async jwks(): Promise<{ keys: JWK[] }> {
    await this.fresh();
    const published = publishedKeys(this.keys, this.clock.now());
    return { keys: published.flatMap((k) => this.material.get(k.kid)?.publicJwk ?? []) };
  }

  /**
   * Resolves a token's header to a published public key, for verifying tokens this server signed
   * (pass it to jose's jwtVerify). An unknown kid may come from a key another instance has just
   * rotated in with `--now`: the keys are read again, at most every few seconds.
   */
  readonly verificationKeys = async (header: JWTHeaderParameters): Promise<CryptoKey> => {
    await this.fresh();
    let key = this.verificationKey(header);
    if (!key) {
      await this.reloadSoon();
      key = this.verificationKey(header);
    }
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key;
  };

  /** Every stored key with its state, read afresh from the store. */
  async list(): Promise<KeyInfo[]> {
    await this.load();
    return this.describe();
  }

  /**
   * Rotates the keys of `algorithms` (default: each algorithm that has a published key): the new
   * key is published at once and signs after the propagation delay, or at once when `immediate`;
   * the keys it takes over from are retired once every token they signed has expired.
   */
  async rotate(
    options: { algorithms?: readonly KeyAlgorithm[]; immediate?: boolean } = {},
  ): Promise<Rotation[]> {
    await this.load();
    const now = this.clock.now();
    const inUse = new Set(this.keys.filter((k) => isPublished(k, now)).map((k) => k.alg as KeyAlgorithm));
    const made = new Map<KeyAlgorithm, string | undefined>();
    for (const alg of options.algorithms ?? [...inUse].sort()) {
      made.set(alg, await this.rotateAlgorithm(alg, options.immediate ?? false));
    }
    await this.load();
    const described = this.describe();
    return [...made].map(([alg, kid]) => ({ alg, key: described.find((k) => k.kid === kid) }));
  }

  /**
   * Takes a `previous` key out of the JWKS now (a compromised key, after `rotate --now`). Any other
   * is refused, and its state returned: the current key still signs, and retiring a `next` one
   * would leave the current key signing past its own retirement.
   */
  async retire(kid: string): Promise<'done' | 'unknown' | Exclude<KeyState, 'previous'>> {
    await this.load();
    const key = this.keys.find((k) => k.kid === kid);
    if (!key) return 'unknown';
    const now = this.clock.now();
    const state = keyState(key, this.keys, now);
    if (state !== 'previous') return state;
    await this.store.updateSigningKey(kid, { retires_at: now });
    await this.load();
    return 'done';
  }

  /** Reads the keys again for a key that is not loaded, at most every UNKNOWN_KID_RELOAD_MS. */
  private async reloadSoon(): Promise<void> {
    const now = this.clock.now();
    if (now - this.lastUnknownKidReload < UNKNOWN_KID_RELOAD_MS) return;
    this.lastUnknownKidReload = now;
    await waitAtMost(this.reload(), RELOAD_WAIT_MS);
  }

  /** Reads the keys again if the reload interval has passed; concurrent callers share one read. */
  private async fresh(): Promise<void> {
    if (this.clock.now() >= this.nextReloadAt) await waitAtMost(this.reload(), RELOAD_WAIT_MS);
  }

  private reload(): Promise<void> {
    this.reloading ??= this.reloadNow().finally(() => {
      this.reloading = undefined;
    });
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    this.nextReloadAt = this.clock.now() + this.options.timings.reloadMs;
    try {
      await this.load();
      await this.rotateIfDue();
      if (this.reloadFailing) this.options.log?.info({}, 'reading the signing keys works again');
      this.reloadFailing = false;
    } catch (error) {
      // The keys already loaded keep signing: a database blip must not stop logins.
      if (!this.reloadFailing)
        this.options.log?.warn(
          { err: error },
          'reading the signing keys failed; the loaded keys stay in use',
        );
      this.reloadFailing = true;
    }
  }

  /** Reads every key; opens (and seals, if still plain) the published ones not loaded yet. */
  private async load(): Promise<void> {
    const rows = await this.store.listSigningKeys();
    const now = this.clock.now();
    const material = new Map<string, KeyMaterial>();
    for (const row of rows) {
      if (!isSealedText(row.private_jwk)) {
        // Kept in the clear by a version before sealing. Instances upgrading at once each write a
        // seal of the same key, so whichever lands opens the same.
        await this.store.updateSigningKey(row.kid, { private_jwk: await this.box.seal(row.private_jwk) });
      }
      if (!isPublished(row, now)) continue;
      material.set(row.kid, this.material.get(row.kid) ?? (await openSigningKey(this.box, row)));
    }
    this.keys = rows.map(({ kid, alg, created_at, activates_at, retires_at }) => ({
      kid,
      alg,
      created_at,
      activates_at,
      retires_at,
    }));
    this.material = material;
  }

  private verificationKey(header: JWTHeaderParameters): CryptoKey | undefined {
    const now = this.clock.now();
    const candidates = this.keys.filter(
      (k) =>
        k.alg === header.alg && isPublished(k, now) && (header.kid === undefined || k.kid === header.kid),
    );
    return candidates.length === 1 ? this.material.get(candidates[0]?.kid as string)?.publicKey : undefined;
  }

  private describe(): KeyInfo[] {
    const now = this.clock.now();
    return newestFirst(this.keys).map((k) => ({ ...k, state: keyState(k, this.keys, now) }));
  }

  /** The automatic rotation (`keys.rotate_after_days`), by whichever instance sees it due first. */
  private async rotateIfDue(): Promise<void> {
    const now = this.clock.now();
    const algorithms = new Set(
      this.keys.filter((k) => isPublished(k, now)).map((k) => k.alg as KeyAlgorithm),
    );
    for (const alg of algorithms) {
      if (!rotationDue(this.keys, alg, now, this.options.timings)) continue;
      const kid = await this.rotateAlgorithm(alg, false);
      if (kid) this.options.log?.info({ alg, kid }, 'rotated the signing key (keys.rotate_after_days)');
      await this.load();
    }
  }

  /** One rotation; undefined when another rotation of the same key landed first. */
  private async rotateAlgorithm(alg: KeyAlgorithm, immediate: boolean): Promise<string | undefined> {
    const newest = newestFirst(this.keys).find((k) => k.alg === alg);
    // Made "after" the newest key even if this host's clock lags, or it would never sign.
    const now = Math.max(this.clock.now(), (newest?.created_at ?? 0) + 1);
    const { activatesAt, retireOthersAt } = rotationTimes(now, this.options.timings, immediate);
    const key = await this.makeKey(alg, now, activatesAt);
    return (await this.store.rotateSigningKey(key, retireOthersAt)) ? key.kid : undefined;
  }

  /** A new key pair, its private half sealed, replacing the newest key of its algorithm. */
  /** A new key pair, its private half sealed, replacing the newest key of its algorithm. */
  private makeKey(alg: KeyAlgorithm, now: number, activatesAt: number): Promise<SigningKey> {
    return makeSigningKey(this.box, alg, now, activatesAt, replacedKid(this.keys, alg));
  }
}

/** Waits for `work` (which never rejects), or `ms`, whichever comes first. */
async function waitAtMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
