import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/core/errors.ts';
import {
  identifierField,
  normaliseEmail,
  normaliseIdentifier,
  normalisePhone,
} from '../../src/core/identifiers.ts';

/** Runs `fn`, expecting the 400 AuthError with this wire code. */
function expectRefused(fn: () => unknown, error: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(AuthError);
  const refusal = thrown as AuthError;
  expect({ status: refusal.status, error: refusal.error }).toEqual({ status: 400, error });
  expect(refusal.description.length).toBeGreaterThan(0);
}

describe('normaliseEmail', () => {
  it.each([
    ['ann@example.com', 'ann@example.com'],
    ['  Ann.Lee@Example.COM ', 'ann.lee@example.com'],
    ['\tANN@EXAMPLE.CO\n', 'ann@example.co'],
    ["o'brien+tag@mail.sub.example.org", "o'brien+tag@mail.sub.example.org"],
    ['a@b.co', 'a@b.co'],
    ['x_y-z@123.example', 'x_y-z@123.example'],
  ])('accepts %j as %j', (raw, expected) => {
    expect(normaliseEmail(raw)).toBe(expected);
  });

  it.each([
    ['a number', 42],
    ['null', null],
    ['undefined', undefined],
    ['an object', { email: 'a@b.co' }],
    ['an array', ['a@b.co']],
    ['empty', ''],
    ['blank', '   '],
    ['no @', 'ann.example.com'],
    ['no local part', '@example.com'],
    ['no domain', 'ann@'],
    ['an undotted domain', 'ann@localhost'],
    ['two @', 'ann@lee@example.com'],
    ['a space inside', 'ann lee@example.com'],
    ['an empty domain label', 'ann@example..com'],
    ['a label starting with a hyphen', 'ann@-example.com'],
    ['a label ending with a hyphen', 'ann@example-.com'],
    ['a NUL byte', 'ann\u0000@example.com'],
    ['a newline inside', 'ann@exam\nple.com'],
    ['non-ASCII', 'josé@exämple.com'],
    ['an emoji', '😀@example.com'],
    [
      'more than 254 characters',
      `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`,
    ],
  ])('refuses %s with bad.email', (_, raw) => {
    expectRefused(() => normaliseEmail(raw), 'bad.email');
  });
});

describe('normalisePhone', () => {
  it.each([
    ['+14155550100', '+14155550100'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['  +1.415.555.0100 ', '+14155550100'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+49 30 901820', '+4930901820'],
  ])('parses %j to E.164 %j', (raw, expected) => {
    expect(normalisePhone(raw)).toBe(expected);
  });

  it.each([
    ['a number', 14155550100],
    ['null', null],
    ['undefined', undefined],
    ['an array', ['+14155550100']],
    ['empty', ''],
    ['no country code', '4155550100'],
    ['an 00 prefix instead of +', '0014155550100'],
    ['letters', '+1 415 CALL NOW'],
    ['two plus signs', '++14155550100'],
    ['a plus sign inside', '+1415+5550100'],
    ['too short', '+1415555'],
    ['too long', `+1${'5'.repeat(32)}`],
    ['an unknown country code', '+999 555 0100'],
    ['a NUL byte', '+1415555\u00000100'],
    ['an extension', '+14155550100 ext. 12'],
    ['only a plus sign', '+'],
  ])('refuses %s with bad.phone_number', (_, raw) => {
    expectRefused(() => normalisePhone(raw), 'bad.phone_number');
  });
});

describe('normaliseIdentifier', () => {
  it('normalises by the connection strategy', () => {
    expect(identifierField('email')).toBe('email');
    expect(identifierField('sms')).toBe('phone_number');
    expect(normaliseIdentifier('email', ' A@B.CO ')).toBe('a@b.co');
    expect(normaliseIdentifier('sms', '+1 415 555 0100')).toBe('+14155550100');
    expectRefused(() => normaliseIdentifier('email', '+14155550100'), 'bad.email');
    expectRefused(() => normaliseIdentifier('sms', 'a@b.co'), 'bad.phone_number');
  });
});
