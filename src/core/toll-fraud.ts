import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { DEFAULT_REFUSED_NUMBER_TYPES } from '../config/schema.ts';
import { badRequest } from './errors.ts';
import type { Connection } from './model.ts';
import type { Counters } from './ports/counters.ts';
import { tooManyStarts } from './start-limits.ts';

/**
 * The SMS toll-fraud guard: which numbers an SMS connection sends codes to, and how many an hour
 * per country and number prefix and a day in all. Refusals say which rule refused, since they
 * reveal only the operator's policy, never anything about a user.
 */

export type SmsGuard = NonNullable<Connection['options']['sms_guard']>;

/** What the guard looks at in a number. */
export interface SmsNumber {
  /** E.164, `+` and digits. */
  e164: string;
  /** ISO 3166 alpha-2, or undefined for non-geographic numbers (+881 satellite, +882...). */
  country: string | undefined;
  /** libphonenumber's type, or `UNKNOWN`. */
  type: string;
}

/** Reads the country and type of an E.164 number (already validated by normalisePhone). */
export function readSmsNumber(e164: string): SmsNumber {
  const parsed = parsePhoneNumberFromString(e164);
  return { e164, country: parsed?.country, type: parsed?.getType() ?? 'UNKNOWN' };
}

/** The reason a number may not be sent a code at all, or null when it may. */
export function smsRefusal(guard: SmsGuard | undefined, number: SmsNumber): string | null {
  const refusedTypes: readonly string[] = guard?.refuse_number_types ?? DEFAULT_REFUSED_NUMBER_TYPES;
  if (refusedTypes.includes(number.type)) {
    return number.type === 'UNKNOWN'
      ? 'Codes are not sent to phone numbers of unknown type'
      : `Codes are not sent to ${number.type.toLowerCase().replaceAll('_', '-')} phone numbers`;
  }
  const country = number.country;
  if (guard?.allowed_countries && (country === undefined || !guard.allowed_countries.includes(country))) {
    return "Codes are not sent to phone numbers in this number's country";
  }
  if (guard?.denied_countries && country !== undefined && guard.denied_countries.includes(country)) {
    return "Codes are not sent to phone numbers in this number's country";
  }
  return null;
}

/** What a crossed daily budget reports: the operator must look (a fraud run, or a budget too low). */
export type BudgetAlert = (details: {
  alert: 'sms_daily_budget';
  connection: string;
  budget: number;
}) => void;

/** Refuses (400 `bad.phone_number`) a number the connection's policy never sends codes to. */
export function refuseSmsNumber(connection: Connection, number: SmsNumber): void {
  const refusal = smsRefusal(connection.options.sms_guard, number);
  if (refusal) throw badRequest('bad.phone_number', refusal);
}

/**
 * Counts one code against the connection's SMS budgets; 429 `too_many_requests` past one, after
 * telling `refused` which budget refused (`sms_country`, `sms_prefix` or `sms_daily`).
 */
export async function countSms(
  connection: Connection,
  number: SmsNumber,
  counters: Counters,
  alert: BudgetAlert,
  refused: (limit: string) => void,
): Promise<void> {
  const guard = connection.options.sms_guard;
  if (!guard) return;
  const name = connection.name;
  if (guard.per_country_per_hour !== undefined) {
    // Non-geographic numbers share one bucket per calling code.
    const country = number.country ?? number.e164.slice(0, 4);
    const hit = await counters.hit('sms_country', `${name}:${country}`, guard.per_country_per_hour, 3600);
    if (hit.retryAfter > 0) {
      refused('sms_country');
      throw tooManyStarts(hit.retryAfter, 'Too many codes to this country. Try again later.');
    }
  }
  if (guard.per_prefix_per_hour !== undefined) {
    const { digits, limit } = guard.per_prefix_per_hour;
    const prefix = number.e164.slice(1, 1 + digits);
    const hit = await counters.hit(`sms_prefix_${digits}`, `${name}:${prefix}`, limit, 3600);
    if (hit.retryAfter > 0) {
      refused('sms_prefix');
      throw tooManyStarts(hit.retryAfter, 'Too many codes to similar numbers. Try again later.');
    }
  }
  if (guard.daily_budget !== undefined) {
    const hit = await counters.hit('sms_daily', name, guard.daily_budget, 86_400);
    if (hit.retryAfter > 0) {
      // Once per window: the first refusal raises the alert, the rest would only repeat it.
      if (hit.consumed === guard.daily_budget + 1) {
        alert({ alert: 'sms_daily_budget', connection: name, budget: guard.daily_budget });
      }
      refused('sms_daily');
      throw tooManyStarts(hit.retryAfter, 'Too many codes were sent today. Try again later.');
    }
  }
}
