import { randomBytes } from 'node:crypto';
import { SecretKeyError } from '../errors/secret-key-error';
import { PLAIN_SECRETS, SecretBox } from './secret-box';

describe('SecretBox', () => {
  const key = randomBytes(32);
  const box = new SecretBox({ current: key });

  it('seals with AES-256-GCM and opens what it sealed; the same text seals differently each time', () => {
    const sealed = box.seal('whsec_abc');
    expect(sealed).toMatch(/^hsec1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('whsec_abc');
    expect(box.seal('whsec_abc')).not.toBe(sealed);
    expect(box.open(sealed)).toBe('whsec_abc');
    expect(box.isCurrent(sealed)).toBe(true);
  });

  it('passes plain text through, so values written without a key still read', () => {
    expect(box.open('plain-token')).toBe('plain-token');
    expect(box.isCurrent('plain-token')).toBe(false);
    expect(PLAIN_SECRETS.seal('x')).toBe('x');
    expect(PLAIN_SECRETS.isCurrent('x')).toBe(true);
  });

  it('opens with the previous key during a rotation, and seals under the new one', () => {
    const rotated = new SecretBox({ current: randomBytes(32), previous: key });
    const old = box.seal('bearer-token');
    expect(rotated.open(old)).toBe('bearer-token');
    expect(rotated.isCurrent(old)).toBe(false);
    expect(rotated.isCurrent(rotated.seal('bearer-token'))).toBe(true);
  });

  it('refuses a value under an unknown key, an altered one, and a sealed one without any key', () => {
    const sealed = box.seal('api-key');
    expect(() => new SecretBox({ current: randomBytes(32) }).open(sealed)).toThrow(SecretKeyError);
    expect(() => PLAIN_SECRETS.open(sealed)).toThrow(/HERALD_ENCRYPTION_KEY/);
    const body = Buffer.from(sealed.split('.')[2] as string, 'base64url');
    body.writeUInt8(body.readUInt8(body.length - 1) ^ 1, body.length - 1);
    expect(() => box.open(`${sealed.split('.').slice(0, 2).join('.')}.${body.toString('base64url')}`)).toThrow(/does not decrypt/);
  });

  it('takes only 32-byte keys', () => {
    expect(() => new SecretBox({ current: randomBytes(16) })).toThrow(/32 bytes/);
  });
});
