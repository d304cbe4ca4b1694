import { createHmac } from 'node:crypto';

export type BodyHmacAlgorithm = 'sha256' | 'sha512';

/** Legacy body signature (GitHub style): `sha256=<hex HMAC of the raw body>`. */
export function signBodyHmac(body: string, secret: string, algorithm: BodyHmacAlgorithm = 'sha256'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}
