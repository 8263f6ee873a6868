import { isIPv6 } from 'node:net';

/**
 * The key a client's requests are counted under in per-IP limits: its IPv4 address, or the /64 an
 * IPv6 address is in (one subscriber or host commonly holds a whole /64, so counting each address
 * apart would let it spread over 2^64 of them). IPv4 mapped into IPv6 counts as the IPv4 address.
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros (zone id dropped). */
function expandIPv6(ip: string): string[] {
  const [address = ''] = ip.split('%');
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  // An embedded IPv4 tail (::ffff:1.2.3.4 was handled above; others are rare) counts as two groups.
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) =>
    group.includes('.') ? group : Number.parseInt(group || '0', 16).toString(16),
  );
}
