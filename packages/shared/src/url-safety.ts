// Which delivery targets Herald refuses: non-https in production, and addresses that are not public
// (loopback, private, link-local, cloud metadata, …) unless HERALD_ALLOW_PRIVATE_TARGETS is set.
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16],
  ['172.16.0.0', 12], ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, 'ipv6');
}

/** Whether `address` (IPv4 or IPv6, IPv4-mapped included) is a public unicast address. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !NON_PUBLIC.check(mapped[1] as string, 'ipv4');
  return !NON_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

export interface TargetPolicy {
  /** Only https targets (NODE_ENV=production). */
  requireHttps: boolean;
  /** Loopback, private and other non-public addresses are allowed (HERALD_ALLOW_PRIVATE_TARGETS). */
  allowPrivate: boolean;
}

/**
 * SPEC §5: in production (NODE_ENV=production) only https, and no private targets unless
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
