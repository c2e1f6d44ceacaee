import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { IotCredentialsError } from './credentials-errors.js';

export interface CredentialRequest {
  /** The account's credential provider endpoint (`aws iot describe-endpoint --endpoint-type iot:CredentialProvider`), `host` or `host:port`. */
  endpoint: string;
  roleAlias: string;
  thingName: string;
  /** Device certificate, private key and the CA that signed the endpoint's certificate (Amazon Root CA 1), PEM files. */
  certPath: string;
  keyPath: string;
  caPath: string;
  timeoutMs: number;
}

export interface CredentialHttpResponse {
  status: number;
  body: string;
}

/** The transport port of the credential provider client: one GET, answered or failed. */
export type CredentialFetcher = (request: CredentialRequest) => Promise<CredentialHttpResponse>;

/** OpenSSL and Node codes of a handshake that failed over certificates, keys or trust. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

export function isTlsFailure(error: NodeJS.ErrnoException): boolean {
  const code = error.code ?? '';
  return TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_');
}

/** The URL of the documented GET, for logs and errors. */
export function credentialsUrl(endpoint: string, roleAlias: string): URL {
  const host = endpoint.replace(/^https:\/\//, '').replace(/\/+$/, '');
  return new URL(`https://${host}/role-aliases/${encodeURIComponent(roleAlias)}/credentials`);
}

/**
 * GET https://{endpoint}/role-aliases/{roleAlias}/credentials over mutual TLS with the device
 * certificate, sending `x-amzn-iot-thingname` (IoT then checks the thing is attached to the
 * certificate and lets the role's policy use thing variables). The files are read on every
 * call, so rotated certificates are picked up without a restart (one call an hour).
 */
export const httpsCredentialFetcher: CredentialFetcher = async (req) => {
  const url = credentialsUrl(req.endpoint, req.roleAlias);
  let files: [Buffer, Buffer, Buffer];
  try {
    files = await Promise.all([readFile(req.certPath), readFile(req.keyPath), readFile(req.caPath)]);
  } catch (cause) {
    throw new IotCredentialsError(
      `cannot read the device certificate, key or CA for the credential provider (${(cause as Error).message}); check cert, key and rootCa in the configuration`,
      { failure: 'files' },
      { cause },
    );
  }
  const [cert, key, ca] = files;
  const check = `check that the CA file ${req.caPath} signed the endpoint's certificate (Amazon Root CA 1 for AWS), that ${req.certPath} is registered and active in AWS IoT and matches the key ${req.keyPath}, and that the endpoint is the iot:CredentialProvider one`;
  return new Promise<CredentialHttpResponse>((resolve, reject) => {
    let handshakeDone = false;
    const tlsError = (what: string, cause: unknown) =>
      new IotCredentialsError(`${what}: ${check}`, { failure: 'tls' }, { cause });
    const fail = (cause: NodeJS.ErrnoException) => {
      const code = cause.code ?? cause.message;
      if (/alert/i.test(cause.message)) {
        reject(
          tlsError(
            `the credential provider ${url.host} rejected client certificate ${req.certPath} (${code})`,
            cause,
          ),
        );
      } else if (isTlsFailure(cause)) {
        reject(tlsError(`TLS handshake with the credential provider ${url.host} failed (${code})`, cause));
      } else if (handshakeDone && (cause.code === 'ECONNRESET' || cause.code === 'EPIPE')) {
        // With TLS 1.3 the server checks the client certificate after the client's side of the
        // handshake is done: a rejected certificate shows up as a connection closed unanswered.
        reject(
          tlsError(
            `the credential provider ${url.host} closed the connection right after the TLS handshake (${code}); did it reject client certificate ${req.certPath}?`,
            cause,
          ),
        );
      } else {
        reject(
          new IotCredentialsError(
            `credential provider ${url.host} unreachable (${code})`,
            { failure: 'network' },
            { cause },
          ),
        );
      }
    };
    let outgoing: ReturnType<typeof request>;
    try {
      outgoing = request(url, {
        method: 'GET',
        cert,
        key,
        ca,
        agent: false,
        headers: { 'x-amzn-iot-thingname': req.thingName, accept: 'application/json' },
        timeout: req.timeoutMs,
      });
    } catch (cause) {
      // A malformed PEM or a key that does not match the certificate throws synchronously.
      fail(cause as NodeJS.ErrnoException);
      return;
    }
    outgoing.on('timeout', () => {
      const error: NodeJS.ErrnoException = new Error(`no answer within ${req.timeoutMs} ms`);
      error.code = 'ETIMEDOUT';
      outgoing.destroy(error);
    });
    outgoing.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        handshakeDone = true;
      });
    });
    outgoing.on('error', fail);
    outgoing.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    outgoing.end();
  });
};
