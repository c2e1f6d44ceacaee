import { createHash, X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';

/**
 * A certificate's id as AWS IoT names it: the SHA-256 of its DER encoding, 64 lower-case hex
 * digits. The same certificate has the same id everywhere (registry, broker, device).
 */
export function certificateIdOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export function certificateIdOfPem(pem: string): string {
  return certificateIdOfDer(new X509Certificate(pem).raw);
}

export const CERTIFICATE_ID_PATTERN = /^[0-9a-f]{64}$/;

/** The id of the certificate a TLS client connected with; undefined before the handshake or without TLS. */
export function peerCertificateId(conn: unknown): string | undefined {
  const socket = conn as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  // null once the socket is destroyed (a device gone mid-request).
  const certificate = socket.getPeerCertificate() as { raw?: Buffer } | null;
  const raw = certificate?.raw;
  return raw === undefined || raw.length === 0 ? undefined : certificateIdOfDer(raw);
}
