// The module object itself (a namespace import would be a copy), so that a spy on it is seen by verify.ts.
import crypto from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { WebhookVerificationError } from './errors/webhook-verification-error';
import { verifyWebhook } from './verify';

const SECRET = `whsec_${Buffer.from('a'.repeat(32)).toString('base64')}`;
const OTHER = `whsec_${Buffer.from('b'.repeat(32)).toString('base64')}`;
const NOW_MS = 1_767_225_600_000;
const BODY = JSON.stringify({ id: 'evt_1', type: 'invoice.paid', timestamp: '2026-01-01T00:00:00.000Z', tenant: 'default', data: { invoice: 42, note: 'é ✓' } });

/** The headers Herald would send, signed with `secrets` (one signature each) at `atMs`. */
function signed(body: string, secrets: string[], atMs = NOW_MS, id = 'evt_1'): Record<string, string> {
  const timestamp = Math.floor(atMs / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': secrets.map((secret) => new StandardWebhook(secret).sign(id, new Date(timestamp * 1000), body)).join(' '),
  };
}

function failure(run: () => unknown): WebhookVerificationError {
  try {
    run();
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error;
    throw error;
  }
  throw new Error('verification passed');
}

describe('verifyWebhook', () => {
  it('returns the parsed body of a genuine delivery (string or bytes, Node or fetch headers)', () => {
    const headers = signed(BODY, [SECRET]);
    expect(verifyWebhook(SECRET, BODY, headers, { nowMs: NOW_MS })).toEqual(JSON.parse(BODY));
    expect(verifyWebhook(SECRET, Buffer.from(BODY), new Headers(headers), { nowMs: NOW_MS })).toEqual(JSON.parse(BODY));
    expect(verifyWebhook(SECRET, new TextEncoder().encode(BODY), { ...headers, 'Webhook-Id': undefined }, { nowMs: NOW_MS })).toEqual(JSON.parse(BODY));
    // The secret without its whsec_ prefix is the same key.
    expect(verifyWebhook(SECRET.slice('whsec_'.length), BODY, headers, { nowMs: NOW_MS })).toEqual(JSON.parse(BODY));
  });

  it('refuses missing headers, naming them', () => {
    const headers = signed(BODY, [SECRET]);
    const { ['webhook-signature']: _signature, ['webhook-timestamp']: _timestamp, ...rest } = headers;
    const error = failure(() => verifyWebhook(SECRET, BODY, rest, { nowMs: NOW_MS }));
    expect(error).toMatchObject({ name: 'WebhookVerificationError', code: 'missing_headers' });
    expect(error.message).toContain('webhook-timestamp, webhook-signature');
  });

  it('refuses a wrong secret, a changed body or id, and a signature of another scheme', () => {
    const headers = signed(BODY, [SECRET]);
    expect(failure(() => verifyWebhook(OTHER, BODY, headers, { nowMs: NOW_MS })).code).toBe('invalid_signature');
    expect(failure(() => verifyWebhook(SECRET, BODY.replace('42', '43'), headers, { nowMs: NOW_MS })).code).toBe('invalid_signature');
    expect(failure(() => verifyWebhook(SECRET, BODY, { ...headers, 'webhook-id': 'evt_2' }, { nowMs: NOW_MS })).code).toBe('invalid_signature');
    const v1a = headers['webhook-signature']!.replace('v1,', 'v1a,');
    expect(failure(() => verifyWebhook(SECRET, BODY, { ...headers, 'webhook-signature': v1a }, { nowMs: NOW_MS })).code).toBe('invalid_signature');
    expect(failure(() => verifyWebhook(SECRET, BODY, { ...headers, 'webhook-signature': 'v1,short' }, { nowMs: NOW_MS })).code).toBe('invalid_signature');
  });

  it('refuses a timestamp outside the tolerance (300 s by default), either way, or not a number', () => {
    const old = signed(BODY, [SECRET], NOW_MS - 301_000);
    expect(failure(() => verifyWebhook(SECRET, BODY, old, { nowMs: NOW_MS }))).toMatchObject({ code: 'timestamp_out_of_tolerance', message: expect.stringContaining('too old') });
    expect(verifyWebhook(SECRET, BODY, signed(BODY, [SECRET], NOW_MS - 299_000), { nowMs: NOW_MS })).toBeDefined();
    expect(verifyWebhook(SECRET, BODY, old, { nowMs: NOW_MS, toleranceSeconds: 600 })).toBeDefined();
    const future = signed(BODY, [SECRET], NOW_MS + 301_000);
    expect(failure(() => verifyWebhook(SECRET, BODY, future, { nowMs: NOW_MS }))).toMatchObject({ code: 'timestamp_out_of_tolerance', message: expect.stringContaining('future') });
    const words = { ...signed(BODY, [SECRET]), 'webhook-timestamp': 'yesterday' };
    expect(failure(() => verifyWebhook(SECRET, BODY, words, { nowMs: NOW_MS })).code).toBe('invalid_timestamp');
  });

  it('accepts any one of several signatures (a rotation), and several secrets', () => {
    const both = signed(BODY, [OTHER, SECRET]);
    expect(both['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyWebhook(SECRET, BODY, both, { nowMs: NOW_MS })).toBeDefined();
    expect(verifyWebhook(OTHER, BODY, both, { nowMs: NOW_MS })).toBeDefined();
    const oldOnly = signed(BODY, [OTHER]);
    expect(verifyWebhook([SECRET, OTHER], BODY, oldOnly, { nowMs: NOW_MS })).toBeDefined();
  });

  it('refuses a body that is not JSON, once the signature holds', () => {
    expect(failure(() => verifyWebhook(SECRET, 'not json', signed('not json', [SECRET]), { nowMs: NOW_MS })).code).toBe('invalid_payload');
  });

  it('throws a TypeError, not a verification error, for a secret that is not whsec_ base64', () => {
    expect(() => verifyWebhook('whsec_not base64!', BODY, signed(BODY, [SECRET]), { nowMs: NOW_MS })).toThrow(TypeError);
    expect(() => verifyWebhook([], BODY, signed(BODY, [SECRET]), { nowMs: NOW_MS })).toThrow(TypeError);
  });

  it('compares signatures in constant time', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      verifyWebhook(SECRET, BODY, signed(BODY, [SECRET]), { nowMs: NOW_MS });
      expect(compare).toHaveBeenCalled();
    } finally {
      compare.mockRestore();
    }
  });
});

describe('cross-checked with the standardwebhooks and svix packages', () => {
  it('verifies what they sign, with webhook-* and svix-* headers', () => {
    const timestamp = new Date(NOW_MS);
    const seconds = String(NOW_MS / 1000);
    const standard = new StandardWebhook(SECRET).sign('msg_1', timestamp, BODY);
    expect(verifyWebhook(SECRET, BODY, { 'webhook-id': 'msg_1', 'webhook-timestamp': seconds, 'webhook-signature': standard }, { nowMs: NOW_MS })).toEqual(JSON.parse(BODY));
    const svix = new SvixWebhook(SECRET).sign('msg_1', timestamp, BODY);
    expect(verifyWebhook(SECRET, BODY, { 'svix-id': 'msg_1', 'svix-timestamp': seconds, 'svix-signature': svix }, { nowMs: NOW_MS })).toEqual(JSON.parse(BODY));
  });

  it('refuses what they refuse: the same delivery with a changed byte', () => {
    const headers = signed(BODY, [SECRET], Date.now());
    const changed = BODY.replace('invoice.paid', 'invoice.paiD');
    expect(() => new StandardWebhook(SECRET).verify(changed, headers)).toThrow();
    expect(() => new SvixWebhook(SECRET).verify(changed, headers)).toThrow();
    expect(failure(() => verifyWebhook(SECRET, changed, headers)).code).toBe('invalid_signature');
    expect(new StandardWebhook(SECRET).verify(BODY, headers)).toEqual(verifyWebhook(SECRET, BODY, headers));
  });
});
