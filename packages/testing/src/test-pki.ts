// A throwaway certificate authority for tests, made with openssl at test time: a CA, a server
// certificate for 127.0.0.1 and client certificates, valid now or for any dates asked.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** A client certificate signed by the CA (valid from yesterday for `days`, unless dates are given) and its key. */
  client(options?: { commonName?: string; days?: number; notBefore?: Date; notAfter?: Date; passphrase?: string }): { cert: string; key: string };
  remove(): void;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

/** openssl's date form for `ca -startdate/-enddate`: YYYYMMDDHHMMSSZ. */
function opensslDate(date: Date): string {
  return `${date.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`;
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'herald-pki-'));
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  openssl('req', '-x509', ...EC, '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-subj', '/CN=Herald test CA', '-days', '30');
  writeFileSync(at('index.txt'), '');
  writeFileSync(at('serial'), '1000\n');
  writeFileSync(
    at('ca.cnf'),
    ['[ca]', 'default_ca = test', '[test]', `database = ${at('index.txt')}`, `new_certs_dir = ${dir}`, `serial = ${at('serial')}`,
      'default_md = sha256', 'policy = any', 'unique_subject = no', 'copy_extensions = copy', '[any]', 'commonName = supplied', ''].join('\n'),
  );
  let n = 0;
  const issue = (commonName: string, notBefore: Date, notAfter: Date, extra: string[] = []) => {
    n += 1;
    openssl('req', '-new', ...EC, '-nodes', '-keyout', `${n}.key`, '-out', `${n}.csr`, '-subj', `/CN=${commonName}`, ...extra);
    openssl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', `${n}.csr`, '-out', `${n}.pem`, '-notext',
      '-startdate', opensslDate(notBefore), '-enddate', opensslDate(notAfter));
    return { cert: readFileSync(at(`${n}.pem`), 'utf8'), key: readFileSync(at(`${n}.key`), 'utf8'), keyFile: `${n}.key` };
  };
  const day = 86_400_000;
  const server = issue('127.0.0.1', new Date(Date.now() - day), new Date(Date.now() + 30 * day), ['-addext', 'subjectAltName=IP:127.0.0.1']);
  return {
    caCert: readFileSync(at('ca.pem'), 'utf8'),
    serverCert: server.cert,
    serverKey: server.key,
    client(options = {}) {
      const notBefore = options.notBefore ?? new Date(Date.now() - day);
      const notAfter = options.notAfter ?? new Date(Date.now() + (options.days ?? 30) * day);
      const issued = issue(options.commonName ?? 'herald-client', notBefore, notAfter);
      if (options.passphrase === undefined) return { cert: issued.cert, key: issued.key };
      const encrypted = openssl('pkey', '-in', issued.keyFile, '-aes-256-cbc', '-passout', `pass:${options.passphrase}`).toString();
      return { cert: issued.cert, key: encrypted };
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
