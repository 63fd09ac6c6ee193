/**
 * Tells a failed conversation with the IdP (the network: refused, reset, DNS, TLS, a body cut
 * short, a deadline) from an IdP that answered something wrong. The first is an unavailable IdP
 * wherever it happens — at the token endpoint during a callback too, where it must not pass for
 * a bad ID token.
 */
export type TransportFailure = 'timeout' | 'refused' | 'dns' | 'tls' | 'connection lost';

const BY_CODE: Record<string, TransportFailure> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'connection lost',
  ECONNABORTED: 'connection lost',
  EPIPE: 'connection lost',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EHOSTDOWN: 'refused',
  EPROTO: 'tls',
  UND_ERR_SOCKET: 'connection lost',
  UND_ERR_CLOSED: 'connection lost',
  UND_ERR_DESTROYED: 'connection lost',
  UND_ERR_ABORTED: 'timeout',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'connection lost',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
};

/** What kind of network failure `err` (or one of its causes) is, or `undefined` if it is not one. */
export function transportFailure(err: unknown): TransportFailure | undefined {
  for (let e = err, i = 0; e instanceof Error && i < 6; e = e.cause, i += 1) {
    if (e.name === 'TimeoutError' || e.name === 'AbortError') return 'timeout';
    const code = (e as { code?: unknown }).code;
    if (typeof code !== 'string') continue;
    const known = BY_CODE[code];
    if (known) return known;
    if (code.startsWith('ERR_TLS_') || code.startsWith('CERT_') || code.includes('_CERT') || code.includes('SELF_SIGNED')) return 'tls';
    if (code.startsWith('UND_ERR_')) return 'connection lost';
  }
  return undefined;
}

/** Words for a user-facing message: the kind of failure, never an address or a socket error. */
export function describeFailure(kind: TransportFailure): string {
  switch (kind) {
    case 'timeout':
      return 'did not answer in time';
    case 'refused':
      return 'could not be reached (connection refused)';
    case 'dns':
      return 'could not be reached (its host name did not resolve)';
    case 'tls':
      return 'could not be reached (TLS handshake failed)';
    default:
      return 'could not be reached (the connection was lost)';
  }
}
