/**
 * A throwaway PKI made with the openssl CLI for one test run: a CA, and certificates it (or a
 * second, untrusted CA) signs. Keys live in a temp folder and are removed by `cleanup`; nothing
 * here is ever committed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface IssuedCert {
  cert: string;
  key: string;
}

export interface TestPki {
  dir: string;
  /** PEM file of the CA. */
  ca: string;
  /** Issues a certificate signed by this CA (or by `other`, a CA nobody trusts). */
  /** `keyType` rsa for clients that read RSA keys only (Ruby's stomp gem); EC by default. */
  issue(name: string, options: { dns?: string[]; ip?: string[]; usage: 'server' | 'client' | 'both'; signer?: 'ca' | 'other'; keyType?: 'ec' | 'rsa' }): IssuedCert;
  cleanup(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

export function makePki(prefix = 'rex-pki-'): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const at = (file: string): string => path.join(dir, file);
  // EC keys: generated in milliseconds, where RSA 2048 costs a noticeable share of a loaded core.
  const newKey = (file: string) => openssl(dir, 'ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file);
  for (const ca of ['ca', 'other-ca']) {
    newKey(`${ca}.key`);
    openssl(dir, 'req', '-x509', '-new', '-key', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=rex test ${ca}`);
  }
  return {
    dir,
    ca: at('ca.pem'),
    issue(name, options) {
      const base = `${name}-${options.signer ?? 'ca'}`;
      if (options.keyType === 'rsa') openssl(dir, 'genrsa', '-traditional', '-out', `${base}.key`, '2048');
      else newKey(`${base}.key`);
      openssl(dir, 'req', '-new', '-key', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${name}`);
      const usage = options.usage === 'server' ? 'serverAuth' : options.usage === 'client' ? 'clientAuth' : 'serverAuth,clientAuth';
      const san = [...(options.dns ?? []).map((d) => `DNS:${d}`), ...(options.ip ?? []).map((i) => `IP:${i}`)];
      fs.writeFileSync(at(`${base}.ext`), `${san.length > 0 ? `subjectAltName=${san.join(',')}\n` : ''}extendedKeyUsage=${usage}\n`);
      const signer = options.signer === 'other' ? 'other-ca' : 'ca';
      openssl(dir, 'x509', '-req', '-in', `${base}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${base}.pem`, '-days', '1', '-extfile', `${base}.ext`);
      return { cert: at(`${base}.pem`), key: at(`${base}.key`) };
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
