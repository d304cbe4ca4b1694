// Which delivery targets Herald refuses: non-https in production, addresses that are not public
// (loopback, private, link-local, …) unless allowed, and cloud metadata services unless named.
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { EMPTY_HOST_LIST, listsAddress, listsAddressExactly, listsHost, normalAddress, type HostList } from './host-list';

/**
 * The deprecated IPv4-compatible block (RFC 4291): ipaddr.js's classification has no range for it
 * and would call ::7f00:1 (that is, ::127.0.0.1) unicast.
 */
const IPV4_COMPATIBLE = ipaddr.parseCIDR('::/96');

/**
 * Cloud instance metadata services (AWS incl. ECS/EKS and IPv6, GCP, Azure, Oracle, Alibaba,
 * DigitalOcean, OpenStack): they hand out credentials, so no broad switch opens them.
 */
const METADATA_ADDRESSES = new Set(
  ['169.254.169.254', '169.254.170.2', '169.254.170.23', 'fd00:ec2::254', 'fd00:ec2::23', '100.100.100.200', '192.0.0.192'].map(
    (a) => ipaddr.parse(a).toNormalizedString(),
  ),
);
const METADATA_HOSTS = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

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

/** Whether `address` is a cloud metadata service's (IPv4-mapped spellings included). */
export function isMetadataAddress(address: string): boolean {
  const parsed = normalAddress(address);
  return parsed !== null && METADATA_ADDRESSES.has(parsed.toNormalizedString());
}

/** Whether `host` is a cloud metadata service's name. */
export function isMetadataHost(host: string): boolean {
  return METADATA_HOSTS.has(host.toLowerCase().replace(/\.$/, ''));
}

export interface TargetPolicy {
  /** Only https targets (NODE_ENV=production). */
  requireHttps: boolean;
  /** Loopback, private and other non-public addresses are allowed (HERALD_ALLOW_PRIVATE_TARGETS); metadata addresses are not. */
  allowPrivate: boolean;
  /**
   * Hosts, domains, addresses and blocks reachable even when not public (HERALD_ALLOWED_PRIVATE_TARGETS).
   * A metadata address is reachable only when listed by itself, a metadata host name only when listed by name.
   * @defaultValue empty
   */
  allowedPrivate?: HostList;
}

/**
 * In production (NODE_ENV=production) only https, and no private targets unless
 * HERALD_ALLOW_PRIVATE_TARGETS=true. Outside production private targets are allowed unless the
 * variable is set to false. HERALD_ALLOWED_PRIVATE_TARGETS opens the hosts and blocks it names.
 */
export function targetPolicyFromEnv(env: {
  NODE_ENV: string;
  HERALD_ALLOW_PRIVATE_TARGETS?: boolean | undefined;
  HERALD_ALLOWED_PRIVATE_TARGETS?: HostList | undefined;
}): TargetPolicy {
  const production = env.NODE_ENV === 'production';
  return {
    requireHttps: production,
    allowPrivate: env.HERALD_ALLOW_PRIVATE_TARGETS ?? !production,
    allowedPrivate: env.HERALD_ALLOWED_PRIVATE_TARGETS ?? EMPTY_HOST_LIST,
  };
}

const METADATA_REFUSED = 'the target is a cloud metadata service (name it in HERALD_ALLOWED_PRIVATE_TARGETS to allow)';

/**
 * Why a delivery to this address is refused, or null when it is allowed. `host` is the name the
 * address was resolved from, when there was one: an allowed private host opens its addresses.
 */
export function refusedAddress(address: string, policy: TargetPolicy, host?: string): string | null {
  const allowed = policy.allowedPrivate ?? EMPTY_HOST_LIST;
  if (isMetadataAddress(address)) {
    const named = listsAddressExactly(allowed, address) || (host !== undefined && isMetadataHost(host) && listsHost(allowed, host));
    return named ? null : METADATA_REFUSED;
  }
  if (policy.allowPrivate || isPublicAddress(address)) return null;
  if (listsAddress(allowed, address) || (host !== undefined && listsHost(allowed, host))) return null;
  return 'the target address is not public (set HERALD_ALLOW_PRIVATE_TARGETS=true or list it in HERALD_ALLOWED_PRIVATE_TARGETS to allow)';
}

/**
 * Why a webhook URL (or an OAuth2 token URL) is refused, or null when it is allowed: checks the
 * scheme and every address its host resolves to now. Delivery checks the address again when it
 * connects (DNS rebinding). With private targets allowed the name is not resolved here (only a
 * metadata name or address is refused); delivery still refuses a name that resolves to metadata.
 */
export async function refusedTargetUrl(url: string, policy: TargetPolicy): Promise<string | null> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a valid URL';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
  if (policy.requireHttps && parsed.protocol !== 'https:') return 'must use https in production';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isIP(host)) return refusedAddress(host, policy);
  if (isMetadataHost(host) && !listsHost(policy.allowedPrivate ?? EMPTY_HOST_LIST, host)) return METADATA_REFUSED;
  if (policy.allowPrivate) return null;
  let addresses: { address: string }[];
  try {
    addresses = await lookup(host, { all: true });
  } catch (error) {
    return `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'lookup failed'})`;
  }
  // The address itself is not echoed: that would let API callers map internal DNS.
  const refused = addresses.map(({ address }) => refusedAddress(address, policy, host)).find(Boolean);
  if (refused === METADATA_REFUSED) return `${host} resolves to a cloud metadata service (name it in HERALD_ALLOWED_PRIVATE_TARGETS to allow)`;
  if (refused) {
    return `${host} resolves to an address that is not public (set HERALD_ALLOW_PRIVATE_TARGETS=true or list it in HERALD_ALLOWED_PRIVATE_TARGETS to allow)`;
  }
  return null;
}
