import proxyAddr from '@fastify/proxy-addr';

/**
 * `trust_proxy`: whose X-Forwarded-For Tessera believes, and so which address per-IP limits count
 * and `last_ip` records. `true` trusts every hop (the client is the header's first address); a
 * number trusts that many hops in front of Tessera, the peer first; a list trusts the peers whose
 * address is in it. Entries are read by the proxy-addr Fastify itself uses, so what passes here
 * is what the server matches.
 */
export type TrustProxy = boolean | number | string[];

/** proxy-addr's names for ranges: 127.0.0.1/8 and ::1, 169.254.0.0/16 and fe80::/10, RFC 1918 and fc00::/7. */
export const NAMED_RANGES = ['loopback', 'linklocal', 'uniquelocal'] as const;

/** One line per list entry that is not an IP address, a CIDR range or a named range. */
export function trustProxyProblems(setting: TrustProxy): string[] {
  if (!Array.isArray(setting)) return [];
  return setting.flatMap((entry, i) => {
    try {
      proxyAddr.compile([entry]);
      return [];
    } catch (error) {
      return [
        `trust_proxy.${i}: ${JSON.stringify(entry)} is not an IP address or CIDR range (${(error as Error).message}); ` +
          `write an address (10.0.0.7), a range (10.0.0.0/8, fd00::/8) or one of ${NAMED_RANGES.join(', ')}`,
      ];
    }
  });
}

/**
 * The setting as Fastify's `trustProxy` option. Fastify refuses to read a bare hop count (it
 * would trust whatever a client reaching Tessera directly writes), so a count is given as the
 * trust function proxy-addr calls with each address and its distance: the peer is hop 0.
 */
export function trustProxyOption(
  setting: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  if (setting === 0) return false;
  return (_address, hop) => hop < setting;
}

/** `TESSERA_TRUST_PROXY`: `true`, `false`, a hop count, or a comma-separated list of addresses and ranges. */
export function parseTrustProxy(value: string): TrustProxy {
  const trimmed = value.trim();
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  return trimmed
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}
