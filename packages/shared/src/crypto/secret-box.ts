// The one place secrets at rest are encrypted: AES-256-GCM under HERALD_ENCRYPTION_KEY, with the
// previous key still opening what it sealed until `herald secrets reencrypt` has run.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { SecretKeyError } from '../errors/secret-key-error';

/** Sealed values read `hsec1.<key id>.<base64url of iv ‖ ciphertext ‖ tag>`; anything else is plain text. */
const PREFIX = 'hsec1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const ENCRYPTION_KEY_BYTES = 32;

interface Key {
  /** 8 hex digits of the key's SHA-256: which key sealed a value, without revealing the key. */
  id: string;
  bytes: Buffer;
}

function keyOf(bytes: Buffer): Key {
  if (bytes.length !== ENCRYPTION_KEY_BYTES) throw new RangeError(`an encryption key must be ${ENCRYPTION_KEY_BYTES} bytes`);
  return { id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes };
}

export class SecretBox {
  private readonly current: Key | undefined;
  private readonly keys: Map<string, Key>;
  private readonly fingerprintKey: Buffer;

  /** `current` seals; it and `previous` open. No key: values are stored as they are. */
  constructor(keys: { current?: Buffer | undefined; previous?: Buffer | undefined } = {}) {
    this.current = keys.current ? keyOf(keys.current) : undefined;
    const all = [this.current, keys.previous ? keyOf(keys.previous) : undefined].filter((k): k is Key => k !== undefined);
    this.keys = new Map(all.map((k) => [k.id, k]));
    this.fingerprintKey = this.current ? createHmac('sha256', this.current.bytes).update('herald fingerprint').digest() : Buffer.from('herald fingerprint');
  }

  /**
   * A stable name for a text that holds secrets (an OAuth2 configuration, to key its cached token
   * by): an HMAC under a key derived from the current one, so the name tells nothing of the
   * secrets; a plain SHA-256 without a key. 32 hex digits.
   */
  fingerprint(text: string): string {
    return createHmac('sha256', this.fingerprintKey).update(text).digest('hex').slice(0, 32);
  }

  /** Whether values are sealed when written (a key is configured). */
  get encrypts(): boolean {
    return this.current !== undefined;
  }

  /** The value as it is stored: sealed under the current key, or as it is without one. */
  seal(plain: string): string {
    if (!this.current) return plain;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.bytes, iv);
    const sealed = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${PREFIX}${this.current.id}.${sealed.toString('base64url')}`;
  }

  /** The plain value of a stored one; plain text (written without a key) passes through. */
  open(stored: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const [id, body] = stored.slice(PREFIX.length).split('.', 2);
    const key = id === undefined ? undefined : this.keys.get(id);
    if (!key) {
      throw new SecretKeyError(
        `a stored secret was encrypted under key ${id ?? '?'}, which is neither HERALD_ENCRYPTION_KEY nor HERALD_ENCRYPTION_KEY_PREVIOUS`,
      );
    }
    const sealed = Buffer.from(body ?? '', 'base64url');
    if (sealed.length < IV_BYTES + TAG_BYTES) throw new SecretKeyError('a stored secret is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.bytes, sealed.subarray(0, IV_BYTES));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError(`a stored secret under key ${key.id} does not decrypt (altered, or the key changed)`);
    }
  }

  /** Whether a stored value is as `seal` would write it now: under the current key, or plain without one. */
  isCurrent(stored: string): boolean {
    if (!this.current) return !stored.startsWith(PREFIX);
    return stored.startsWith(`${PREFIX}${this.current.id}.`);
  }
}

/** Stores secrets as they are: for tests and tools that never see encrypted data. */
export const PLAIN_SECRETS = new SecretBox();
