// The one HTTP client deliveries go through: undici with keep-alive pools per origin, and one pool
// per webhook version for webhooks that present a client certificate (mTLS).
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { refusedAddress, type TargetPolicy } from '@herald/shared';
import { proxiedConnector, type EgressProxy } from './egress-proxy';

/** The error code of a delivery refused because its target address is not allowed. */
export const TARGET_REFUSED = 'TARGET_REFUSED';
/** The error code of a delivery whose body could not be built (its template failed). */
export const RENDER_FAILED = 'RENDER_FAILED';
/** The code of an attempt that got no (whole) answer within the webhook's timeout. */
export const TIMEOUT = 'TIMEOUT';

/** Whether an attempt ran out of time, answering or connecting. */
export function isTimeout(result: HttpResult): boolean {
  return result.kind === 'error' && (result.code === TIMEOUT || result.code === 'UND_ERR_CONNECT_TIMEOUT');
}

/** Bytes of a response body kept for the attempt log; larger bodies are not buffered. */
export const RESPONSE_BODY_LIMIT = 1024;
/** The code of a delivery whose OAuth2 token endpoint refused (4xx): retrying will not help. */
export const AUTH_REJECTED = 'AUTH_REJECTED';
/** The code of a delivery whose OAuth2 token endpoint could not answer now (5xx, network): not the endpoint's fault. */
export const AUTH_UNAVAILABLE = 'AUTH_UNAVAILABLE';

export interface OutboundRequest {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /**
   * Bytes of the answer's body kept.
   * @defaultValue RESPONSE_BODY_LIMIT (1 KiB, what the attempt log keeps)
   */
  bodyLimit?: number;
  /** The client certificate to present (mTLS), and which webhook version's pool carries it. */
  tls?: ClientTlsRequest;
}

export interface ClientTlsRequest {
  /** The webhook and its version: one pool per version, so a changed certificate gets fresh connections. */
  webhookId: string;
  version: string;
  cert: string;
  key: string;
  passphrase?: string | undefined;
  /** Trusted instead of the system's CAs for the endpoint's certificate. */
  ca?: string | undefined;
  /** The webhook's own in-flight cap, when it has one: its pool opens no more connections than that. */
  maxInFlight?: number | undefined;
}

/** The longest a connection may take to open (through the proxy: tunnel and TLS included). */
const CONNECT_TIMEOUT_MS = 10_000;

/** Webhook versions with a client certificate whose pools a worker keeps; the least recently used goes beyond. */
const TLS_POOLS_KEPT = 1000;

export type HttpResult =
  | { kind: 'response'; statusCode: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { kind: 'error'; code: string; message: string };

export class HttpClient {
  private readonly agent: Agent;
  private readonly targets = new Map<string, Target>();
  /** By webhook id: the pool of its current version with a client certificate, most recently used last. */
  private readonly tlsPools = new Map<string, { version: string; agent: Agent }>();
  private readonly connectionsPerOrigin: number | null;
  private readonly proxy: EgressProxy | undefined;
  private readonly connectionsPerWebhook: number | null;

  constructor(
    private readonly policy: TargetPolicy,
    options: {
      connectionsPerOrigin?: number;
      /** Connections of a webhook's own pool (mTLS) when the webhook sets no maxInFlight: the worker's per-webhook cap. */
      connectionsPerWebhook?: number;
      proxy?: EgressProxy | undefined;
    } = {},
  ) {
    // An Agent keeps one Pool per origin, reusing keep-alive connections across deliveries. Every new
    // connection resolves its host through `guardedLookup`, so the address checked is the address
    // connected to (no DNS rebinding between check and connect).
    this.connectionsPerOrigin = options.connectionsPerOrigin ?? null;
    this.proxy = options.proxy;
    this.connectionsPerWebhook = options.connectionsPerWebhook ?? null;
    this.agent = this.newAgent({});
  }

  private newAgent(tls: Pick<ClientTlsRequest, 'cert' | 'key' | 'passphrase' | 'ca'> | Record<string, never>, connections = this.connectionsPerOrigin): Agent {
    return new Agent({
      connections,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      // Through the egress proxy, the connector resolves and checks the target itself, then tunnels to that address.
      connect: this.proxy
        ? proxiedConnector({ proxy: this.proxy, lookup: this.guardedLookup, timeoutMs: CONNECT_TIMEOUT_MS, tls })
        : { timeout: CONNECT_TIMEOUT_MS, lookup: this.guardedLookup, ...tls },
    });
  }

  /**
   * The pool of a webhook version with a client certificate: made once, its connections reused
   * across deliveries (one handshake per connection); the previous version's pool is closed. It
   * opens at most the webhook's in-flight cap of connections: a delivery that comes the moment
   * another's answer ends waits for that connection rather than handshaking a new one.
   */
  private tlsPool(tls: ClientTlsRequest): Agent {
    const current = this.tlsPools.get(tls.webhookId);
    this.tlsPools.delete(tls.webhookId);
    if (current && current.version === tls.version) {
      this.tlsPools.set(tls.webhookId, current);
      return current.agent;
    }
    if (current) void current.agent.close();
    const { cert, key, passphrase, ca } = tls;
    const tlsOptions = { cert, key, ...(passphrase === undefined ? {} : { passphrase }), ...(ca === undefined ? {} : { ca }) };
    const agent = this.newAgent(tlsOptions, tls.maxInFlight ?? this.connectionsPerWebhook);
    this.tlsPools.set(tls.webhookId, { version: tls.version, agent });
    if (this.tlsPools.size > TLS_POOLS_KEPT) {
      const [oldest] = this.tlsPools;
      if (oldest) {
        this.tlsPools.delete(oldest[0]);
        void oldest[1].agent.close();
      }
    }
    return agent;
  }

  private readonly guardedLookup = (
    hostname: string,
    options: LookupAllOptions | object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.map((a) => refusedAddress(a.address, this.policy, hostname)).find(Boolean);
      if (refused) return callback(Object.assign(new Error(refused), { code: TARGET_REFUSED }), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first?.address ?? '', first?.family);
    });
  };

  /**
   * Sends one request; network failures and timeouts come back as `error`, never thrown. It goes
   * through undici's dispatcher directly, with a handler that keeps the first 1 KiB of the answer
   * and drops the rest: no response stream, no body buffered, one timer for the whole request.
   */
  send(outbound: OutboundRequest): Promise<HttpResult> {
    const target = this.target(outbound.url);
    if (this.policy.requireHttps && target.protocol !== 'https:') {
      return Promise.resolve({ kind: 'error', code: TARGET_REFUSED, message: 'only https targets are allowed in production' });
    }
    // An IP literal never goes through the lookup above.
    if (target.refusedLiteral) return Promise.resolve({ kind: 'error', code: TARGET_REFUSED, message: target.refusedLiteral });
    return new Promise<HttpResult>((resolve) => {
      const collector = new ResponseCollector(resolve, outbound.timeoutMs, outbound.bodyLimit ?? RESPONSE_BODY_LIMIT);
      try {
        const dispatcher = outbound.tls && target.protocol === 'https:' ? this.tlsPool(outbound.tls) : this.agent;
        dispatcher.dispatch(
          {
            origin: target.origin,
            path: target.path,
            method: outbound.method,
            headers: outbound.headers,
            body: outbound.body,
            headersTimeout: outbound.timeoutMs,
            bodyTimeout: outbound.timeoutMs,
          },
          collector,
        );
      } catch (error) {
        collector.onResponseError(undefined, error as Error);
      }
    });
  }

  /** A URL's parts, parsed once per URL (webhooks are few, deliveries many). */
  private target(url: string): Target {
    let target = this.targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
      const refusedLiteral = isIP(host) ? refusedAddress(host, this.policy) : null;
      target = { protocol: parsed.protocol, origin: parsed.origin, path: `${parsed.pathname}${parsed.search}`, refusedLiteral };
      if (this.targets.size >= TARGETS_KEPT) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }

  async close(): Promise<void> {
    const pools = [...this.tlsPools.values()].map((pool) => pool.agent);
    this.tlsPools.clear();
    for (const agent of [this.agent, ...pools]) await agent.close();
  }
}

interface Target {
  protocol: string;
  origin: string;
  path: string;
  /** Why the host, when it is an IP address, is refused (the policy does not change, so it is checked once). */
  refusedLiteral: string | null;
}

/** Parsed URLs kept; beyond this many the cache starts afresh. */
const TARGETS_KEPT = 10_000;

/** undici aborts with this once the body kept is full: what was read is the answer. */
class BodyLimitReached extends Error {}

/**
 * Collects one answer for `send`: the status, the headers and at most RESPONSE_BODY_LIMIT bytes of
 * body; the whole request is bounded by `timeoutMs`, a slowly dripping body included. Once the
 * status is in, it decides the outcome: a body that breaks off after it is noted, not a failure.
 */
class ResponseCollector implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private abortWith: Error | undefined;
  private statusCode = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private done = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly finish: (result: HttpResult) => void,
    timeoutMs: number,
    private readonly bodyLimit: number,
  ) {
    this.timer = setTimeout(() => this.expire(timeoutMs), timeoutMs);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortWith) controller.abort(this.abortWith);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx: the answer is still to come
    this.statusCode = statusCode;
    this.headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.size > this.bodyLimit) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
    // Enough kept: the rest is not read (the connection is dropped rather than drained).
    if (this.size > this.bodyLimit) controller.abort(new BodyLimitReached('response body over the kept limit'));
  }

  onResponseEnd(): void {
    this.answer(this.body());
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    if (error instanceof BodyLimitReached) return this.answer(this.body());
    if (this.statusCode > 0) return this.answer(`[response body unreadable: ${error.message}]`);
    const err = error as Error & { code?: string; cause?: { code?: string } };
    const timedOut = err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT';
    this.settle({ kind: 'error', code: timedOut ? TIMEOUT : (err.code ?? err.cause?.code ?? err.name), message: err.message });
  }

  private expire(timeoutMs: number): void {
    const error = Object.assign(new Error(`no complete answer within ${timeoutMs} ms`), { name: 'TimeoutError' });
    this.onResponseError(undefined, error);
    // Not yet on a connection (queued, or connecting): it is aborted when it gets one.
    if (this.controller) this.controller.abort(error);
    else this.abortWith = error;
  }

  private body(): string {
    return Buffer.concat(this.chunks).subarray(0, this.bodyLimit).toString('utf8');
  }

  private answer(body: string): void {
    this.settle({ kind: 'response', statusCode: this.statusCode, headers: this.headers, body });
  }

  private settle(result: HttpResult): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.finish(result);
  }
}
