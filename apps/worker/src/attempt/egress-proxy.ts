// Deliveries through an HTTP CONNECT proxy (HERALD_EGRESS_PROXY). The target's name is resolved and
// checked here, with the same guarded lookup as a direct connection, and the tunnel is opened to
// that address: the proxy never resolves a name Herald did not check. TLS then runs through the
// tunnel end to end (the proxy sees only the address). Hosts in HERALD_NO_PROXY connect directly.
import { request } from 'node:http';
import type { LookupAddress } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import { buildConnector } from 'undici';
import { listsAddress, listsHost, type HostList } from '@herald/shared';

/** The code of an attempt the egress proxy failed (unreachable, 407, 5xx…): it spends no attempt. */
export const PROXY_FAILED = 'PROXY_FAILED';

export interface EgressProxy {
  /** http://[user:password@]host:port */
  url: URL;
  /** Hosts, domains, addresses and blocks reached directly. */
  noProxy: HostList;
}

/** A dns.lookup-like function: asked without `all`, it answers one address. */
type Lookup = (hostname: string, options: object, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => void;

function proxyFailure(message: string): Error {
  return Object.assign(new Error(message), { code: PROXY_FAILED });
}

/** `address:port` as CONNECT and Host want it (IPv6 in brackets). */
function authority(address: string, port: string | number): string {
  return `${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** Opens a CONNECT tunnel through `proxy` to `address:port`; any failure of the proxy is PROXY_FAILED. */
function openTunnel(proxy: URL, target: string, timeoutMs: number, callback: (error: Error | null, socket?: Socket) => void): void {
  let done = false;
  const finish = (error: Error | null, socket?: Socket) => {
    if (done) return;
    done = true;
    callback(error, socket);
  };
  const credentials = proxy.username ? `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` : undefined;
  const connect = request({
    host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: proxy.port || 80,
    method: 'CONNECT',
    path: target,
    headers: { host: target, ...(credentials ? { 'proxy-authorization': `Basic ${Buffer.from(credentials).toString('base64')}` } : {}) },
    timeout: timeoutMs,
    agent: false,
  });
  connect.once('connect', (response, socket, head) => {
    if (response.statusCode !== 200) {
      socket.destroy();
      return finish(proxyFailure(`the egress proxy answered ${response.statusCode ?? '?'} to CONNECT`));
    }
    if (head.length > 0) socket.unshift(head);
    finish(null, socket);
  });
  connect.once('timeout', () => {
    connect.destroy();
    finish(proxyFailure(`the egress proxy did not open a tunnel within ${timeoutMs} ms`));
  });
  connect.once('error', (error: NodeJS.ErrnoException) => finish(proxyFailure(`the egress proxy could not be reached (${error.code ?? error.message})`)));
  connect.end();
}

/**
 * An undici connector that goes through `proxy` (or directly, for HERALD_NO_PROXY hosts), resolving
 * and checking the target with `lookup` first. `tls` is the connection's own TLS settings (a
 * client certificate, trusted CAs).
 */
export function proxiedConnector(options: { proxy: EgressProxy; lookup: Lookup; timeoutMs: number; tls?: Record<string, unknown> }): buildConnector.connector {
  const { proxy, lookup, timeoutMs } = options;
  const direct = buildConnector({ ...options.tls, timeout: timeoutMs, lookup });
  const throughTunnel = buildConnector({ ...options.tls, timeout: timeoutMs });
  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[(.*)\]$/, '$1');
    if (listsHost(proxy.noProxy, host) || listsAddress(proxy.noProxy, host)) return direct(connectOptions, callback);
    lookup(host, {}, (error, found) => {
      if (error) return callback(error, null);
      const address = typeof found === 'string' ? found : (found[0]?.address ?? '');
      if (listsAddress(proxy.noProxy, address)) return direct(connectOptions, callback);
      const port = connectOptions.port || (connectOptions.protocol === 'https:' ? 443 : 80);
      openTunnel(proxy.url, authority(address, port), timeoutMs, (tunnelError, socket) => {
        if (tunnelError || !socket) return callback(tunnelError ?? proxyFailure('no tunnel'), null);
        if (connectOptions.protocol === 'https:') return throughTunnel({ ...connectOptions, httpSocket: socket }, callback);
        callback(null, socket);
      });
    });
  };
}
