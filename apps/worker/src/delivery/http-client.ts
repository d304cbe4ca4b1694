// The one HTTP client deliveries go through: undici with keep-alive pools per origin.
import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { EventEmitter } from 'node:events';
import { isIP } from 'node:net';
import { Agent, request } from 'undici';
import { refusedAddress, type TargetPolicy } from '@herald/shared';

/** The error code of a delivery refused because its target address is not allowed. */
export const TARGET_REFUSED = 'TARGET_REFUSED';
/** The error code of a delivery whose body could not be built (its template failed). */
export const RENDER_FAILED = 'RENDER_FAILED';

/** Bytes of a response body kept for the attempt log; larger bodies are not buffered. */
export const RESPONSE_BODY_LIMIT = 1024;

export interface OutboundRequest {
  url: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export type HttpResult =
  | { kind: 'response'; statusCode: number; headers: Record<string, string | string[] | undefined>; body: string }
  | { kind: 'error'; code: string; message: string };

export class HttpClient {
  private readonly agent: Agent;

  constructor(
    private readonly policy: TargetPolicy,
    options: { connectionsPerOrigin?: number } = {},
  ) {
    // An Agent keeps one Pool per origin, reusing keep-alive connections across deliveries. Every new
    // connection resolves its host through `guardedLookup`, so the address checked is the address
    // connected to (no DNS rebinding between check and connect).
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? null,
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connect: { timeout: 10_000, lookup: this.guardedLookup },
    });
  }

  private readonly guardedLookup = (
    hostname: string,
    options: LookupAllOptions | object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const refused = addresses.map((a) => refusedAddress(a.address, this.policy)).find(Boolean);
      if (refused) return callback(Object.assign(new Error(refused), { code: TARGET_REFUSED }), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first?.address ?? '', first?.family);
    });
  };

  /** Sends one request; network failures and timeouts come back as `error`, never thrown. */
  async send(outbound: OutboundRequest): Promise<HttpResult> {
    const url = new URL(outbound.url);
    if (this.policy.requireHttps && url.protocol !== 'https:') {
      return { kind: 'error', code: TARGET_REFUSED, message: 'only https targets are allowed in production' };
    }
    // An IP literal never goes through the lookup above.
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const refusedLiteral = isIP(host) ? refusedAddress(host, this.policy) : null;
    if (refusedLiteral) return { kind: 'error', code: TARGET_REFUSED, message: refusedLiteral };
    const deadline = new Deadline(outbound.timeoutMs);
    try {
      const response = await request(outbound.url, {
        dispatcher: this.agent,
        method: outbound.method,
        headers: outbound.headers,
        body: outbound.body,
        signal: deadline,
        headersTimeout: outbound.timeoutMs,
        bodyTimeout: outbound.timeoutMs,
      });
      // The status decides the outcome; a body that breaks off after it must not turn a 2xx into a retry.
      const body = await readCapped(response.body, RESPONSE_BODY_LIMIT).catch(
        (error: Error) => `[response body unreadable: ${error.message}]`,
      );
      return { kind: 'response', statusCode: response.statusCode, headers: response.headers, body };
    } catch (error) {
      const err = error as Error & { code?: string; cause?: { code?: string } };
      const code =
        err.name === 'TimeoutError' || err.name === 'AbortError' ? 'TIMEOUT' : (err.code ?? err.cause?.code ?? err.name);
      return { kind: 'error', code, message: err.message };
    } finally {
      deadline.clear();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/**
 * The whole request's deadline, given to undici as its abort signal. undici takes an EventEmitter
 * with `aborted` and `reason` as well as an AbortSignal; this one costs a timer and nothing else,
 * where `AbortSignal.timeout` costs several microseconds per delivery on the hot path.
 */
class Deadline extends EventEmitter {
  aborted = false;
  reason: Error | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(ms: number) {
    super();
    this.timer = setTimeout(() => {
      this.aborted = true;
      this.reason = Object.assign(new Error(`no complete answer within ${ms} ms`), { name: 'TimeoutError' });
      this.emit('abort');
    }, ms);
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}

/** Reads at most `limit` bytes; a longer body is cut off and its connection dropped, not buffered. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > limit) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
