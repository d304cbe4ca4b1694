// A list of hosts, domains and address blocks, as operators write them in HERALD_ALLOWED_PRIVATE_TARGETS
// and HERALD_NO_PROXY: "hooks.internal, .corp.example, 10.0.0.0/8, 192.168.1.7, fd00::/8".
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export interface HostList {
  /** Host names, lower case, matched exactly. */
  readonly hosts: ReadonlySet<string>;
  /** Domains (written ".corp.example"), lower case without the dot: the domain and every host under it. */
  readonly domains: readonly string[];
  /** Single addresses, in ipaddr.js's normal form (IPv4-mapped IPv6 as IPv4). */
  readonly addresses: ReadonlySet<string>;
  /** Address blocks (a CIDR). */
  readonly blocks: readonly [Address, number][];
}

export const EMPTY_HOST_LIST: HostList = { hosts: new Set(), domains: [], addresses: new Set(), blocks: [] };

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** An address in one spelling: IPv4-mapped IPv6 as its IPv4, so ::ffff:10.0.0.1 is 10.0.0.1. */
export function normalAddress(address: string): Address | null {
  if (isIP(address) === 0) return null;
  try {
    return ipaddr.process(address);
  } catch {
    return null;
  }
}

/**
 * Parses a comma-separated list of host names, ".domains", addresses and CIDR blocks. Throws an
 * Error naming the first entry it cannot read.
 */
export function parseHostList(text: string): HostList {
  const hosts = new Set<string>();
  const domains: string[] = [];
  const addresses = new Set<string>();
  const blocks: [Address, number][] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (entry === '') continue;
    if (entry.includes('/')) {
      let block: [Address, number];
      try {
        block = ipaddr.parseCIDR(entry);
      } catch {
        throw new Error(`"${raw.trim()}" is not a valid CIDR block`);
      }
      const [base, bits] = block;
      blocks.push(base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress() ? [(base as ipaddr.IPv6).toIPv4Address(), Math.max(0, bits - 96)] : block);
      continue;
    }
    const address = normalAddress(entry);
    if (address) {
      addresses.add(address.toNormalizedString());
      continue;
    }
    const domain = entry.startsWith('.') || entry.startsWith('*.') ? entry.replace(/^\*?\./, '') : null;
    if (!HOST_NAME.test(domain ?? entry)) throw new Error(`"${raw.trim()}" is not a host name, .domain, address or CIDR block`);
    if (domain === null) hosts.add(entry.replace(/\.$/, ''));
    else domains.push(domain);
  }
  return { hosts, domains, addresses, blocks };
}

/** Whether `host` (a name) is listed, by itself or under a listed domain. */
export function listsHost(list: HostList, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (list.hosts.has(name)) return true;
  return list.domains.some((domain) => name === domain || name.endsWith(`.${domain}`));
}

/** Whether `address` is listed by itself (exactly) — a block around it does not count. */
export function listsAddressExactly(list: HostList, address: string): boolean {
  const parsed = normalAddress(address);
  return parsed !== null && list.addresses.has(parsed.toNormalizedString());
}

/** Whether `address` is listed, by itself or inside a listed block. */
export function listsAddress(list: HostList, address: string): boolean {
  const parsed = normalAddress(address);
  if (!parsed) return false;
  if (list.addresses.has(parsed.toNormalizedString())) return true;
  return list.blocks.some(([base, bits]) => base.kind() === parsed.kind() && parsed.match(base, bits));
}

/** Whether the list is empty. */
export function isEmptyHostList(list: HostList): boolean {
  return list.hosts.size === 0 && list.domains.length === 0 && list.addresses.size === 0 && list.blocks.length === 0;
}
