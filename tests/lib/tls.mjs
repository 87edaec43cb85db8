// A throwaway certificate authority and server certificates, made with the
// openssl command at test time (nothing secret is committed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Makes a CA and a server certificate for `names` (DNS names). */
export function makeCertificates(names = ['localhost']) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vidkeep-tls-'));
  const f = (n) => path.join(dir, n);
  const ssl = (...args) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=vidkeep test CA',
    '-keyout', f('ca.key'), '-out', f('ca.pem'));
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${names[0]}`, '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('ext.cnf'), `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-days', '2', '-extfile', f('ext.cnf'), '-out', f('server.pem'));
  return {
    caFile: f('ca.pem'),
    tls: { key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')) },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
