import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { signStandardWebhook, verifyStandardWebhook } from './standard-webhooks';
import { generateSigningSecret, signingKey } from './secret';
import { signBodyHmac } from './body-hmac';
import { createHmac } from 'node:crypto';

// The Standard Webhooks specification's published test vector.
const SPEC = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampSec: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('Standard Webhooks signer', () => {
  it('reproduces the specification example exactly', () => {
    expect(signStandardWebhook({ ...SPEC, secrets: [SPEC.secret] })).toBe(SPEC.signature);
  });

  it('verifies the specification example and rejects it altered', () => {
    const base = { ...SPEC, signatureHeader: SPEC.signature, nowMs: SPEC.timestampSec * 1000 };
    expect(verifyStandardWebhook(base)).toEqual({ ok: true });
    expect(verifyStandardWebhook({ ...base, body: '{"test": 2432232315}' })).toEqual({ ok: false, reason: 'no_matching_signature' });
    expect(verifyStandardWebhook({ ...base, nowMs: (SPEC.timestampSec + 301) * 1000 })).toEqual({
      ok: false,
      reason: 'timestamp_out_of_tolerance',
    });
  });

  it('makes signatures the standardwebhooks and svix packages accept', () => {
    const secret = generateSigningSecret();
    const msgId = 'evt_test123';
    const nowSec = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ id: msgId, type: 'invoice.paid', data: { amount: 42, note: 'ünïcode ✓' } });
    const signature = signStandardWebhook({ msgId, timestampSec: nowSec, body, secrets: [secret] });
    const headers = { 'webhook-id': msgId, 'webhook-timestamp': String(nowSec), 'webhook-signature': signature };

    expect(new StandardWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new SvixWebhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new StandardWebhook(generateSigningSecret()).verify(body, headers)).toThrow();
  });

  it('agrees with the standardwebhooks package signing the same message', () => {
    const secret = generateSigningSecret();
    const at = new Date(1_700_000_000_000);
    const ours = signStandardWebhook({ msgId: 'm1', timestampSec: 1_700_000_000, body: '{}', secrets: [secret] });
    expect(ours).toBe(new StandardWebhook(secret).sign('m1', at, '{}'));
  });

  it('signs with every active secret, and each one verifies alone', () => {
    const current = generateSigningSecret();
    const previous = generateSigningSecret();
    const nowSec = Math.floor(Date.now() / 1000);
    const header = signStandardWebhook({ msgId: 'm2', timestampSec: nowSec, body: '{"a":1}', secrets: [current, previous] });
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'm2', 'webhook-timestamp': String(nowSec), 'webhook-signature': header };
    expect(new StandardWebhook(current).verify('{"a":1}', headers)).toEqual({ a: 1 });
    expect(new StandardWebhook(previous).verify('{"a":1}', headers)).toEqual({ a: 1 });
  });

  it('refuses to sign without a secret', () => {
    expect(() => signStandardWebhook({ msgId: 'm', timestampSec: 1, body: '', secrets: [] })).toThrow(/secret/);
  });
});

describe('secrets', () => {
  it('are whsec_ and the base64 of 32 random bytes', () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(signingKey(a)).toHaveLength(32);
    expect(generateSigningSecret()).not.toBe(a);
  });
});

describe('legacy body HMAC', () => {
  it('is the algorithm name and the hex HMAC of the raw body', () => {
    const body = '{"x":1}';
    expect(signBodyHmac(body, 'k'.repeat(20))).toBe(`sha256=${createHmac('sha256', 'k'.repeat(20)).update(body).digest('hex')}`);
    expect(signBodyHmac(body, 'k'.repeat(20), 'sha512')).toMatch(/^sha512=[0-9a-f]{128}$/);
    expect(signBodyHmac(body, 'other-secret-000')).not.toBe(signBodyHmac(body, 'k'.repeat(20)));
  });
});
