import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway certificate authority for tests, played by the openssl command (as IoT Core signs
 * CreateCertificateFromCsr requests with Amazon's CA): it signs the CSRs the agent makes.
 */
export class TestCa {
  private readonly dir = mkdtempSync(join(tmpdir(), 'test-ca-'));

  constructor() {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        this.path('ca.key'),
        '-out',
        this.path('ca.pem'),
        '-subj',
        '/CN=coffee-iot test CA',
        '-days',
        '2',
      ],
      { stdio: 'ignore' },
    );
  }

  get certificatePem(): string {
    return readFileSync(this.path('ca.pem'), 'utf8');
  }

  /** Signs a PEM CSR; throws if openssl refuses it (a malformed or badly signed request). */
  sign(csrPem: string): string {
    const name = `req-${randomInt(1e9)}`;
    writeFileSync(this.path(`${name}.csr`), csrPem);
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        this.path(`${name}.csr`),
        '-CA',
        this.path('ca.pem'),
        '-CAkey',
        this.path('ca.key'),
        '-set_serial',
        String(randomInt(1, 2 ** 47)),
        '-days',
        '2',
        '-out',
        this.path(`${name}.pem`),
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(this.path(`${name}.pem`), 'utf8');
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private path(name: string): string {
    return join(this.dir, name);
  }
}
