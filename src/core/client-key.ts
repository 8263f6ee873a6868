import ipaddr from 'ipaddr.js';

/**
 * The key a client's requests are counted under in per-IP limits: its IPv4 address, or the /64 an
 * IPv6 address is in (one subscriber or host commonly holds a whole /64, so counting each address
 * apart would let it spread over 2^64 of them). IPv4 mapped into IPv6 counts as the IPv4 address.
 */
export function clientKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const groups = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${groups.join(':')}::/64`;
}
