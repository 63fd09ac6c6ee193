/**
 * The registered client certificate, as the certificate-based grants need it: its thumbprint
 * (the assertion's subject) and its public key (to verify the assertion's signature).
 */
import { X509Certificate } from 'node:crypto';
import { importX509 } from 'jose';
import type { MockClient } from './types.js';

/** A client's registered certificate, parsed once per request. */
export interface RegisteredCertificate {
  /** The PEM, as registered. */
  pem: string;
  /** SHA-1 of the DER certificate, upper-case hex without separators (Windows' thumbprint form). */
  thumbprint: string;
}

/** Parses the client's registered certificate; undefined when the client has none. */
export function registeredCertificate(client: MockClient): RegisteredCertificate | undefined {
  if (!client.certificate) return undefined;
  const cert = new X509Certificate(client.certificate);
  return { pem: client.certificate, thumbprint: cert.fingerprint.replace(/:/g, '').toUpperCase() };
}

/** Whether `value` names the same thumbprint (case-insensitive, as Windows tools vary). */
export function thumbprintMatches(cert: RegisteredCertificate, value: unknown): boolean {
  return typeof value === 'string' && value.trim().toUpperCase() === cert.thumbprint;
}

/** The certificate's public key, for jose's RS256 verification. */
export function certificatePublicKey(cert: RegisteredCertificate): ReturnType<typeof importX509> {
  return importX509(cert.pem, 'RS256');
}
