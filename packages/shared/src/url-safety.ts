// Which delivery targets Herald refuses: non-https in production, and addresses that are not public
// (loopback, private, link-local, cloud metadata, …) unless HERALD_ALLOW_PRIVATE_TARGETS is set.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';

/**
 * The deprecated IPv4-compatible block (RFC 4291): ipaddr.js's classification has no range for it
 * and would call ::7f00:1 (that is, ::127.0.0.1) unicast.
 */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * An IPv6 address in the WHATWG URL form (hex groups, no embedded dotted quad): ipaddr.js reads
 * "::127.0.0.1" as the IPv4-mapped ::ffff:127.0.0.1, which would hide its real block. Null when
 * the platform does not take it (an address with a zone, say).
 */
function canonicalIPv6(address: string): string | null {
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/**
 * Whether `address` (IPv4 or IPv6, IPv4-mapped included) is a public unicast address: in none of
 * IANA's special-purpose ranges (loopback, private, link-local, CGNAT, documentation, 6to4,
 * Teredo, NAT64, …) as ipaddr.js's range() classifies them, nor in ::/96.
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const text = family === 6 ? canonicalIPv6(address) : address;
  if (text === null) return false;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6 = ipaddr.parse(text);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.match(IPV4_COMPATIBLE)) return false;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

export interface TargetPolicy {
  /** Only https targets (NODE_ENV=production). */
  requireHttps: boolean;
  /** Loopback, private and other non-public addresses are allowed (HERALD_ALLOW_PRIVATE_TARGETS). */
  allowPrivate: boolean;
}

/**
 * In production (NODE_ENV=production) only https, and no private targets unless
 * HERALD_ALLOW_PRIVATE_TARGETS=true. Outside production private targets are allowed unless the
 * variable is set to false.
 */
export function targetPolicyFromEnv(env: { NODE_ENV: string; HERALD_ALLOW_PRIVATE_TARGETS?: boolean | undefined }): TargetPolicy {
  const production = env.NODE_ENV === 'production';
  return { requireHttps: production, allowPrivate: env.HERALD_ALLOW_PRIVATE_TARGETS ?? !production };
}

/** Why a delivery to this address is refused, or null when it is allowed. */
export function refusedAddress(address: string, policy: TargetPolicy): string | null {
  if (policy.allowPrivate || isPublicAddress(address)) return null;
  return 'the target address is not public (set HERALD_ALLOW_PRIVATE_TARGETS=true to allow)';
}

/**
 * Why a webhook URL is refused, or null when it is allowed: checks the scheme and every address
 * its host resolves to now. Delivery checks the address again when it connects (DNS rebinding).
 */
export async function refusedTargetUrl(url: string, policy: TargetPolicy): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (policy.requireHttps && parsed.protocol !== 'https:') return 'must use https in production';
  if (policy.allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return refusedAddress(host, policy);
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch (error) {
    return `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
  }
  // The address itself is not echoed: that would let API callers map internal DNS.
  if (addresses.some(({ address }) => refusedAddress(address, policy))) {
    return `${host} resolves to an address that is not public (set HERALD_ALLOW_PRIVATE_TARGETS=true to allow)`;
  }
  return null;
}
