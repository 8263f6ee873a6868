import type { Config } from '../config/schema.ts';
import type { Application } from './model.ts';

/**
 * When each signing key signs and is published, decided from stored times alone, so that every
 * instance (and the `tessera keys` command) reaches the same answer without talking to the others.
 */

/** A key's times, as stored (ms since the epoch). */
export interface KeyTimes {
  kid: string;
  alg: string;
  created_at: number;
  activates_at: number;
  retires_at: number | null;
}

/**
 * `next`: published, signs from `activates_at`; `current`: signs now; `previous`: published so the
 * tokens it signed keep verifying; `retired`: out of the JWKS.
 */
export type KeyState = 'next' | 'current' | 'previous' | 'retired';

/** The rotation settings in milliseconds, with the retirement delay worked out from the token lifetimes. */
export interface KeyTimings {
  /** From a rotation until its new key signs. */
  propagationMs: number;
  /** From a key's last signature until it leaves the JWKS: the longest token lifetime plus a margin. */
  retireAfterMs: number;
  /** Age of the newest key at which it is rotated without being asked; null: never. */
  rotateAfterMs: number | null;
  /** How often an instance reads the keys again, to see rotations made elsewhere. */
  reloadMs: number;
}

/** `tessera token`'s default lifetime: operators' tokens count among those a retired key signed. */
const OPERATOR_TOKEN_LIFETIME_S = 3600;

export function keyTimings(config: Config, applications: Application[]): KeyTimings {
  const lifetimes = [
    OPERATOR_TOKEN_LIFETIME_S,
    ...applications.flatMap((app) => [app.id_token_lifetime, app.access_token_lifetime]),
    ...config.apis.map((api) => api.token_lifetime),
  ];
  const { propagation_s, retire_margin_s, rotate_after_days, reload_s } = config.keys;
  return {
    propagationMs: propagation_s * 1000,
    retireAfterMs: (Math.max(...lifetimes) + retire_margin_s) * 1000,
    rotateAfterMs: rotate_after_days === undefined ? null : rotate_after_days * 86_400_000,
    reloadMs: reload_s * 1000,
  };
}

/** Newest first, by creation then kid: an order every instance shares. */
export function newestFirst<T extends KeyTimes>(keys: readonly T[]): T[] {
  return [...keys].sort(
    (a, b) => b.created_at - a.created_at || (a.kid < b.kid ? 1 : a.kid > b.kid ? -1 : 0),
  );
}

export function isPublished(key: KeyTimes, now: number): boolean {
  return key.retires_at === null || key.retires_at > now;
}

/**
 * The key that signs for `alg` at `now`: of the published keys whose activation time has come, the
 * newest (a key rotated in with `--now` wins over one still waiting from an earlier rotation).
 * Before any has come (no key of this algorithm has ever signed), the first to activate.
 */
export function signingKey<T extends KeyTimes>(keys: readonly T[], alg: string, now: number): T | undefined {
  const candidates = newestFirst(keys).filter((k) => k.alg === alg && isPublished(k, now));
  return (
    candidates.find((k) => k.activates_at <= now) ??
    candidates.sort((a, b) => a.activates_at - b.activates_at)[0]
  );
}

export function keyState(key: KeyTimes, keys: readonly KeyTimes[], now: number): KeyState {
  if (!isPublished(key, now)) return 'retired';
  const current = signingKey(keys, key.alg, now);
  if (current?.kid === key.kid) return 'current';
  // Waiting to sign: activates later and newer than the key signing now.
  const newer = !current || key.created_at > current.created_at;
  return key.activates_at > now && newer ? 'next' : 'previous';
}

/** The published keys, the signing ones first (some clients try a JWKS's first key), then newest first. */
export function publishedKeys<T extends KeyTimes>(keys: readonly T[], now: number): T[] {
  const published = newestFirst(keys).filter((k) => isPublished(k, now));
  const signing = new Set(published.map((k) => signingKey(keys, k.alg, now)?.kid));
  return [...published.filter((k) => signing.has(k.kid)), ...published.filter((k) => !signing.has(k.kid))];
}

/**
 * A rotation made at `now`: the new key signs after the propagation delay (at once when
 * `immediate`), and the keys it takes over from retire once the last token they can still sign
 * has expired.
 */
export function rotationTimes(
  now: number,
  timings: KeyTimings,
  immediate: boolean,
): { activatesAt: number; retireOthersAt: number } {
  const activatesAt = immediate ? now : now + timings.propagationMs;
  return { activatesAt, retireOthersAt: activatesAt + timings.retireAfterMs };
}

/** Whether `alg`'s newest key is old enough to be rotated without being asked. */
export function rotationDue(
  keys: readonly KeyTimes[],
  alg: string,
  now: number,
  timings: KeyTimings,
): boolean {
  if (timings.rotateAfterMs === null) return false;
  const newest = newestFirst(keys).find((k) => k.alg === alg && isPublished(k, now));
  return newest !== undefined && now - newest.created_at >= timings.rotateAfterMs;
}

/**
 * What a new key of `alg` replaces: the newest key of that algorithm, or `none:<alg>` for the first.
 * Stored unique, so two instances rotating (or creating the first key) at once cannot both succeed.
 */
export function replacedKid(keys: readonly KeyTimes[], alg: string): string {
  return newestFirst(keys).find((k) => k.alg === alg)?.kid ?? `none:${alg}`;
}
