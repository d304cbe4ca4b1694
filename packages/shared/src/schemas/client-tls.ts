// Mutual TLS settings of a webhook (`tls`): a client certificate and its key, in PEM, checked when
// saved — the key against the certificate, the certificate's validity — so that a delivery never
// finds out. Each problem names its field.
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

const PEM_LIMIT = 65_536;

/** The certificates of a PEM text (a bundle holds several), or null when one does not parse or there is none. */
export function pemCertificates(pem: string): X509Certificate[] | null {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!blocks) return null;
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    return null;
  }
}

/** Why a client certificate and key cannot be used at `nowMs`, by field; empty when they can. */
export function clientTlsProblems(
  tls: { clientCert: string; clientKey: string; passphrase?: string | undefined; ca?: string | undefined },
  nowMs: number,
): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const [cert] = pemCertificates(tls.clientCert) ?? [];
  if (!cert) problems.push({ path: 'clientCert', message: 'is not a PEM certificate' });
  else if (Date.parse(cert.validTo) <= nowMs) problems.push({ path: 'clientCert', message: `expired on ${new Date(cert.validTo).toISOString()}` });
  else if (Date.parse(cert.validFrom) > nowMs) problems.push({ path: 'clientCert', message: `is not valid before ${new Date(cert.validFrom).toISOString()}` });
  let key: KeyObject | undefined;
  try {
    key = createPrivateKey({ key: tls.clientKey, ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }) });
  } catch {
    // PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY) and traditional (Proc-Type: 4,ENCRYPTED) encrypted keys alike.
    const encrypted = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*ENCRYPTED|ENCRYPTED PRIVATE KEY/.test(tls.clientKey);
    if (encrypted && tls.passphrase === undefined) problems.push({ path: 'passphrase', message: 'is required: clientKey is encrypted' });
    else if (encrypted) problems.push({ path: 'passphrase', message: 'does not open clientKey' });
    else problems.push({ path: 'clientKey', message: 'is not a PEM private key' });
  }
  if (cert && key && !cert.checkPrivateKey(key)) problems.push({ path: 'clientKey', message: 'does not belong to clientCert' });
  if (tls.ca !== undefined && pemCertificates(tls.ca) === null) problems.push({ path: 'ca', message: 'is not a PEM certificate bundle' });
  return problems;
}

/** When the client certificate expires (unix ms), or undefined when it does not parse. */
export function clientCertExpiresAtMs(clientCert: string): number | undefined {
  const [cert] = pemCertificates(clientCert) ?? [];
  return cert ? Date.parse(cert.validTo) : undefined;
}

/** The `tls` settings as stored: read without checks (an expired certificate must not make a webhook unreadable). */
export const clientTlsObject = z
  .strictObject({
    clientCert: z.string().min(1).max(PEM_LIMIT).meta({ description: 'The client certificate, PEM (its chain may follow). Refused when expired or not yet valid.' }),
    clientKey: z.string().min(1).max(PEM_LIMIT).meta({ description: 'The private key of clientCert, PEM. Never shown again.' }),
    passphrase: z.string().min(1).max(1024).optional().meta({ description: 'Opens clientKey when it is encrypted. Never shown again.' }),
    ca: z
      .string()
      .min(1)
      .max(PEM_LIMIT)
      .optional()
      .meta({ description: "Certificates (PEM) to trust for the endpoint's own certificate instead of the system's: for an endpoint with a private CA." }),
  });

/** The `tls` settings as saved: the key must belong to the certificate, and the certificate be valid now. */
export const clientTlsSchema = clientTlsObject
  .superRefine((tls, ctx) => {
    for (const { path, message } of clientTlsProblems(tls, Date.now())) ctx.addIssue({ code: 'custom', path: [path], message });
  })
  .meta({
    description:
      'Mutual TLS: Herald presents clientCert when it connects to the endpoint (https URLs). The key must belong to the certificate and the certificate be valid now; webhook.certificate_expiring is published from 14 days before it expires.',
  });
export type ClientTls = z.output<typeof clientTlsSchema>;
