import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ name: 'test', level: 'info' }, stream);
  return { logger, text: () => lines.join('') };
}

describe('log redaction', () => {
  it('censors signing secrets, credentials and auth headers wherever Herald logs them', () => {
    const { logger, text } = capture();
    logger.info({
      webhook: {
        id: 'wh_1',
        secret: 'whsec_TOPSECRET1',
        previousSecrets: [{ secret: 'whsec_TOPSECRET2', expiresAt: 1 }],
        auth: { type: 'bearer', token: 'TOPSECRET3' },
      },
      req: { headers: { authorization: 'Bearer TOPSECRET4' } },
      request: { headers: { authorization: 'Bearer TOPSECRET5', 'webhook-signature': 'v1,TOPSECRET6' } },
      token: 'TOPSECRET7',
      tls: { clientCert: 'cert', clientKey: 'TOPSECRET8', passphrase: 'TOPSECRET9' },
      oauth: { clientSecret: 'TOPSECRET10', accessToken: 'TOPSECRET11', privateKeyJwt: 'TOPSECRET12' },
    }, 'something happened');
    const output = text();
    expect(output).toContain('wh_1');
    expect(output).toContain('[redacted]');
    expect(output).not.toMatch(/TOPSECRET/);
  });
});
