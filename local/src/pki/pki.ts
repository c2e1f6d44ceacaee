import { generateKeyPair, generateKeyPairSync, randomBytes } from 'node:crypto';
import { access, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

/**
 * A development PKI for the embedded broker and the test harness: one CA, a server certificate
 * for the local broker and one client certificate per thing, shaped like AWS IoT Core's (the CN
 * is the thing name). Keys come from node:crypto (native RSA is ~100x faster than forge's JS);
 * node-forge only assembles and signs the X.509 structures.
 */

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateAuthority extends IssuedCertificate {
  readonly commonName: string;
}

export interface CertificateAuthorityOptions {
  /** Distinguishes CAs in error messages and `openssl x509 -text` output. */
  commonName?: string;
  validDays?: number;
}

export interface CertificateFilePaths {
  readonly certPath: string;
  readonly keyPath: string;
}

export interface DevPkiPaths {
  readonly dir: string;
  /** The CA certificate: brokers trust client certs issued by it; clients verify the broker with it. */
  readonly caPath: string;
  readonly caKeyPath: string;
  readonly server: CertificateFilePaths;
  /** One entry per requested thing name. */
  readonly clients: Readonly<Record<string, CertificateFilePaths>>;
}

export interface DevPkiOptions {
  thingNames: readonly string[];
  /** Extra host names or IPs for the server certificate (127.0.0.1 and localhost are always in). */
  serverNames?: readonly string[];
}

export class DevPkiError extends Error {
  override readonly name = 'DevPkiError';
}

const CA_VALID_DAYS = 3650;
const LEAF_VALID_DAYS = 825;
/** Backdating absorbs clock skew between the machine that issues and the one that verifies. */
const BACKDATE_MS = 60 * 60 * 1000;
const DEFAULT_SERVER_NAMES = ['127.0.0.1', 'localhost'];

export function createCertificateAuthority(options: CertificateAuthorityOptions = {}): CertificateAuthority {
  const commonName = options.commonName ?? 'coffee-iot dev CA';
  const keys = generateRsaKeyPair();
  const subject = [
    { name: 'commonName', value: commonName },
    { name: 'organizationName', value: 'coffee-iot development' },
  ];
  const cert = newCertificate(keys.publicKey, options.validDays ?? CA_VALID_DAYS);
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privateKeyPem), forge.md.sha256.create());
  return { commonName, certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** Rebuilds a CA from its PEM files, e.g. to issue a certificate for a thing added later. */
export function loadCertificateAuthority(certPem: string, keyPem: string): CertificateAuthority {
  const cert = forge.pki.certificateFromPem(certPem);
  const commonName = cert.subject.getField('CN')?.value;
  if (typeof commonName !== 'string') throw new DevPkiError('CA certificate has no common name');
  return { commonName, certPem, keyPem };
}

/**
 * A TLS server certificate with SANs 127.0.0.1 and localhost plus `extraNames`: aws-crt
 * verifies the host name, so every name a client dials must be listed.
 */
export function issueServerCertificate(
  ca: CertificateAuthority,
  extraNames: readonly string[] = [],
): IssuedCertificate {
  const names = [...new Set([...DEFAULT_SERVER_NAMES, ...extraNames])];
  const altNames = names.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name }));
  return issueLeaf(ca, 'localhost', [
    { name: 'subjectAltName', altNames },
    { name: 'extKeyUsage', serverAuth: true },
  ]);
}

/** A device certificate whose CN is the thing name, as mosquitto's `use_identity_as_username` expects. */
export function issueClientCertificate(ca: CertificateAuthority, thingName: string): IssuedCertificate {
  if (thingName.length === 0) throw new DevPkiError('thing name must not be empty');
  return issueLeaf(ca, thingName, [{ name: 'extKeyUsage', clientAuth: true }]);
}

/** Writes a certificate and key as `<name>.crt` / `<name>.key`; the key is mode 0600. */
export async function writeCertificateFiles(
  dir: string,
  name: string,
  issued: IssuedCertificate,
): Promise<CertificateFilePaths> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = { certPath: join(dir, `${name}.crt`), keyPath: join(dir, `${name}.key`) };
  await writeFile(paths.certPath, issued.certPem, { mode: 0o644 });
  await writeFile(paths.keyPath, issued.keyPem, { mode: 0o600 });
  // writeFile's mode only applies when the file is created; an older key file keeps its mode.
  await chmod(paths.keyPath, 0o600);
  return paths;
}

/**
 * Creates the dev PKI in `dir` on first run and reuses it afterwards, so a device that already
 * trusts the CA keeps working across restarts. Missing pieces (a new thing name) are issued
 * from the existing CA.
 */
export async function ensureDevPki(dir: string, options: DevPkiOptions): Promise<DevPkiPaths> {
  for (const thingName of options.thingNames) assertSafeFileName(thingName);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const caFiles = { certPath: join(dir, 'ca.crt'), keyPath: join(dir, 'ca.key') };
  const ca = (await filesExist(caFiles))
    ? await readCertificateAuthority(caFiles)
    : await writeNewCertificateAuthority(dir);

  const server = await ensureIssued(dir, 'server', () => issueServerCertificate(ca, options.serverNames));
  const clients: Record<string, CertificateFilePaths> = {};
  // RSA-2048 key generation costs ~150 ms a key: a simulated fleet of 1,000 would take minutes
  // one by one, so keys are generated on libuv's thread pool, a few at a time.
  const queue = [...options.thingNames];
  const issueNext = async (): Promise<void> => {
    for (let thingName = queue.shift(); thingName !== undefined; thingName = queue.shift()) {
      const name = thingName;
      clients[name] = await ensureIssuedAsync(dir, name, async () =>
        issueLeaf(ca, name, [{ name: 'extKeyUsage', clientAuth: true }], await generateRsaKeyPairAsync()),
      );
    }
  };
  await Promise.all(Array.from({ length: KEYGEN_CONCURRENCY }, issueNext));
  return { dir, caPath: caFiles.certPath, caKeyPath: caFiles.keyPath, server, clients };
}

/** The CN of the claim certificate: not a thing name, so it can never pass as a device. */
export const CLAIM_CERTIFICATE_COMMON_NAME = 'coffee-iot claim certificate';

/**
 * The claim certificate an SD-card image carries for fleet provisioning, issued once from the dev
 * CA in `dir` (run ensureDevPki first) and reused afterwards. It lives in `dir/claim/`, a name no
 * thing's files can take. What it may do is decided by the certificate registry, not by its CN.
 */
export async function ensureClaimCertificate(dir: string): Promise<CertificateFilePaths> {
  const ca = await readCertificateAuthority({ certPath: join(dir, 'ca.crt'), keyPath: join(dir, 'ca.key') });
  return ensureIssuedAsync(join(dir, 'claim'), 'claim', async () =>
    issueLeaf(
      ca,
      CLAIM_CERTIFICATE_COMMON_NAME,
      [{ name: 'extKeyUsage', clientAuth: true }],
      await generateRsaKeyPairAsync(),
    ),
  );
}

async function writeNewCertificateAuthority(dir: string): Promise<CertificateAuthority> {
  const ca = createCertificateAuthority();
  await writeCertificateFiles(dir, 'ca', ca);
  return ca;
}

async function readCertificateAuthority(files: CertificateFilePaths): Promise<CertificateAuthority> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(files.certPath, 'utf8'),
      readFile(files.keyPath, 'utf8'),
    ]);
    return loadCertificateAuthority(certPem, keyPem);
  } catch (error) {
    throw new DevPkiError(
      `cannot reuse the dev CA in ${files.certPath}; delete the directory to regenerate`,
      {
        cause: error,
      },
    );
  }
}

async function ensureIssued(
  dir: string,
  name: string,
  issue: () => IssuedCertificate,
): Promise<CertificateFilePaths> {
  return ensureIssuedAsync(dir, name, async () => issue());
}

async function ensureIssuedAsync(
  dir: string,
  name: string,
  issue: () => Promise<IssuedCertificate>,
): Promise<CertificateFilePaths> {
  const paths = { certPath: join(dir, `${name}.crt`), keyPath: join(dir, `${name}.key`) };
  if (await filesExist(paths)) return paths;
  return writeCertificateFiles(dir, name, await issue());
}

async function filesExist(paths: CertificateFilePaths): Promise<boolean> {
  const exists = async (path: string) =>
    access(path).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw new DevPkiError(`cannot access ${path}`, { cause: error });
      },
    );
  const [cert, key] = await Promise.all([exists(paths.certPath), exists(paths.keyPath)]);
  return cert && key;
}

function assertSafeFileName(thingName: string): void {
  // The thing name becomes a file name; refuse anything that could leave the PKI directory.
  if (!/^[A-Za-z0-9:_-]+$/.test(thingName)) {
    throw new DevPkiError(`thing name "${thingName}" must match [A-Za-z0-9:_-]+ to be used as a file name`);
  }
}

function issueLeaf(
  ca: CertificateAuthority,
  commonName: string,
  extensions: Record<string, unknown>[],
  keys: RsaKeyPair = generateRsaKeyPair(),
): IssuedCertificate {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(ca.keyPem);
  const cert = newCertificate(keys.publicKey, LEAF_VALID_DAYS);
  cert.setSubject([{ name: 'commonName', value: commonName }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    ...extensions,
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function newCertificate(publicKey: forge.pki.PublicKey, validDays: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the high bit cleared keeps DER from reading it as negative.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + validDays * 24 * 60 * 60 * 1000);
  return cert;
}

interface RsaKeyPair {
  publicKey: forge.pki.PublicKey;
  privateKeyPem: string;
}

const RSA_KEY_OPTIONS = {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
} as const;

/** libuv's thread pool has 4 threads by default. */
const KEYGEN_CONCURRENCY = 4;
const generateKeyPairPromise = promisify(generateKeyPair);

function generateRsaKeyPair(): RsaKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', RSA_KEY_OPTIONS);
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKeyPem: privateKey };
}

async function generateRsaKeyPairAsync(): Promise<RsaKeyPair> {
  const { publicKey, privateKey } = await generateKeyPairPromise('rsa', RSA_KEY_OPTIONS);
  return { publicKey: forge.pki.publicKeyFromPem(publicKey), privateKeyPem: privateKey };
}
