import { isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { badRequest } from './errors.ts';
import type { Strategy } from './model.ts';

// Deliberately close to the WHATWG `input type=email` rule: one @, a dotted domain, no spaces.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

/** Trims and lower-cases an email address; rejects anything that is not one. */
export function normaliseEmail(raw: unknown): string {
  if (typeof raw !== 'string') throw badRequest('bad.email', 'email is required and must be a string');
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) throw badRequest('bad.email', 'email is not a valid address');
  return email;
}

/** Parses a phone number to E.164. A number without a country code has no answer and is refused. */
export function normalisePhone(raw: unknown): string {
  if (typeof raw !== 'string')
    throw badRequest('bad.phone_number', 'phone_number is required and must be a string');
  const trimmed = raw.trim();
  if (trimmed.length > 32 || !/^\+?[0-9 ().-]+$/.test(trimmed)) {
    throw badRequest('bad.phone_number', 'phone_number must be an international number such as +14155550100');
  }
  // Without a leading + there is no country to read the number in, so it has no answer.
  const phone = trimmed.startsWith('+') ? parsePhoneNumberFromString(trimmed) : undefined;
  if (!phone?.isValid()) {
    throw badRequest(
      'bad.phone_number',
      'phone_number is not a valid international number (include the country code)',
    );
  }
  return phone.number;
}

/** The identifier field a strategy logs people in with. */
export function identifierField(strategy: Strategy): 'email' | 'phone_number' {
  return strategy === 'email' ? 'email' : 'phone_number';
}

export function normaliseIdentifier(strategy: Strategy, raw: unknown): string {
  return strategy === 'email' ? normaliseEmail(raw) : normalisePhone(raw);
}

/**
 * A phone number typed beside a country picker (the hosted page): national digits read in that
 * country, or a full international number, which wins over the picker. Returns E.164.
 */
export function normalisePhoneWithCountry(raw: unknown, country: unknown): string {
  if (typeof raw !== 'string') throw badRequest('bad.phone_number', 'phone_number is required');
  const trimmed = raw.trim();
  if (trimmed.startsWith('+')) return normalisePhone(trimmed);
  if (trimmed.startsWith('00')) return normalisePhone(`+${trimmed.slice(2)}`);
  if (typeof country !== 'string' || !isSupportedCountry(country)) {
    throw badRequest('bad.phone_number', 'Choose the country of the phone number');
  }
  const phone = /^[0-9 ().-]{1,32}$/.test(trimmed) ? parsePhoneNumberFromString(trimmed, country) : undefined;
  if (!phone?.isValid()) throw badRequest('bad.phone_number', 'phone_number is not a valid number');
  return normalisePhone(phone.number);
}
