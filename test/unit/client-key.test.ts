import { describe, expect, it } from 'vitest';
import { clientKey } from '../../src/core/client-key.ts';

describe('clientKey', () => {
  it('keeps an IPv4 address, and reads one mapped into IPv6 as IPv4', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:198.51.100.1')).toBe('198.51.100.1');
  });

  it('counts every address of one IPv6 /64 as one client', () => {
    const key = '2001:db8:85a3:42::/64';
    expect(clientKey('2001:db8:85a3:42::1')).toBe(key);
    expect(clientKey('2001:0db8:85a3:0042:ffff:ffff:ffff:ffff')).toBe(key);
    expect(clientKey('2001:db8:85a3:42:1:2:3:4')).toBe(key);
    expect(clientKey('2001:db8:85a3:42::1%eth0')).toBe(key);
    expect(clientKey('2001:db8:85a3:43::1')).not.toBe(key);
  });

  it('handles the compressed forms', () => {
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(clientKey('fe80::1:2')).toBe('fe80:0:0:0::/64');
  });

  it('passes anything else through unchanged', () => {
    expect(clientKey('unknown')).toBe('unknown');
  });
});
