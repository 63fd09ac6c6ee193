/**
 * grant_type=urn:ietf:params:oauth:grant-type:certificate-bearer (docs 002/003, README detail 7).
 *
 * `assertion` is base64 of a SAML 2.0 Assertion with an enveloped XML-DSig signature made with
 * the private key of the client's registered certificate. The signature is checked against the
 * registered certificate only (a KeyInfo in the assertion is ignored), and the claims are read
 * from the XML the signature covers, not from the document as received, so a wrapped or moved
 * element cannot smuggle in unsigned values (signature wrapping).
 */
import { DOMParser, type Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { registeredCertificate, thumbprintMatches } from '../certificates.js';
import { OAuthError } from '../http.js';
import { issueTokenResponse } from '../tokens.js';
import { type GrantHandler, invalidGrant, ownerUser, requestedScope, required } from './types.js';

const SAML_NS = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';
/** The docs call this AuthnContextClassRef "a constant". */
export const X509_CONTEXT_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509';
const SIGNATURE_ALGORITHMS = ['http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256'];
const DIGEST_ALGORITHMS = ['http://www.w3.org/2000/09/xmldsig#sha1', 'http://www.w3.org/2001/04/xmlenc#sha256'];
/** Seconds an assertion is accepted after its IssueInstant, and allowed clock difference. */
const MAX_AGE = 300;
const SKEW = 60;

function parseXml(xml: string, what: string): Element {
  if (/<!DOCTYPE/i.test(xml)) throw invalidGrant(`${what} must not contain a DOCTYPE`);
  try {
    const doc = new DOMParser({
      onError: (level, message) => {
        if (level !== 'warning') throw new Error(message);
      },
    }).parseFromString(xml, 'text/xml');
    if (!doc.documentElement) throw new Error('empty document');
    return doc.documentElement;
  } catch {
    throw invalidGrant(`${what} is not well-formed XML`);
  }
}

function children(el: Element, ns: string, localName: string): Element[] {
  const out: Element[] = [];
  for (let n = el.firstChild; n; n = n.nextSibling) {
    const e = n as Element;
    if (n.nodeType === 1 && e.namespaceURI === ns && e.localName === localName) out.push(e);
  }
  return out;
}

function path(el: Element | undefined, ...names: string[]): Element | undefined {
  let cur = el;
  for (const name of names) cur = cur ? children(cur, SAML_NS, name)[0] : undefined;
  return cur;
}

const text = (el: Element | undefined): string => (el?.textContent ?? '').trim();

/**
 * Verifies the enveloped signature of `root` with `certPem` and returns the signed assertion,
 * re-parsed from the canonical XML the signature covers.
 */
function verifySignature(xml: string, root: Element, certPem: string): Element {
  const id = root.getAttribute('ID');
  if (!id) throw invalidGrant('assertion has no ID attribute');
  // A second element carrying the same ID is the classic signature-wrapping set-up.
  const all = root.getElementsByTagName('*');
  for (let i = 0; i < all.length; i++) {
    const el = all.item(i);
    if (el && ['ID', 'Id', 'id'].some((a) => el.getAttribute(a) === id)) {
      throw invalidGrant('assertion ID is used by more than one element (signature wrapping)');
    }
  }
  const signatures = root.getElementsByTagNameNS(DSIG_NS, 'Signature');
  if (signatures.length === 0) throw invalidGrant('assertion is not signed');
  const signature = signatures.item(0);
  if (signatures.length > 1 || signature?.parentNode !== root) {
    throw invalidGrant('assertion must carry exactly one enveloped Signature, as a child of the Assertion');
  }
  // getCertFromKeyInfo → null: only the registered certificate may vouch for the assertion.
  const verifier = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
  let valid: boolean;
  try {
    verifier.loadSignature(signature as unknown as Node);
    valid = verifier.checkSignature(xml);
  } catch {
    throw invalidGrant('assertion signature does not verify with the registered certificate');
  }
  if (!valid) throw invalidGrant('assertion signature digest does not match (the assertion was modified after signing)');

  const references = verifier.getReferences();
  if (references.length !== 1 || references[0]?.uri !== `#${id}`) {
    throw invalidGrant('assertion signature must reference the Assertion element itself (URI="#ID")');
  }
  if (!SIGNATURE_ALGORITHMS.includes(verifier.signatureAlgorithm ?? '')) {
    throw invalidGrant('assertion signature algorithm must be rsa-sha1 or rsa-sha256');
  }
  if (!DIGEST_ALGORITHMS.includes(references[0].digestAlgorithm)) throw invalidGrant('assertion digest algorithm must be sha1 or sha256');
  const signed = verifier.getSignedReferences()[0];
  if (signed === undefined) throw invalidGrant('assertion signature covers nothing');
  return parseXml(signed, 'signed assertion');
}

function checkTime(assertion: Element, nowMs: number): number {
  const issued = Date.parse(assertion.getAttribute('IssueInstant') ?? '');
  if (Number.isNaN(issued)) throw invalidGrant('assertion IssueInstant is missing or not a date');
  if (issued > nowMs + SKEW * 1000) throw invalidGrant('assertion IssueInstant is in the future');
  if (nowMs - issued > (MAX_AGE + SKEW) * 1000) throw invalidGrant(`assertion IssueInstant is older than ${MAX_AGE} seconds`);
  const conditions = path(assertion, 'Conditions');
  const notBefore = Date.parse(conditions?.getAttribute('NotBefore') || '');
  const notOnOrAfter = Date.parse(conditions?.getAttribute('NotOnOrAfter') || '');
  if (!Number.isNaN(notBefore) && notBefore > nowMs + SKEW * 1000) throw invalidGrant('assertion is not yet valid (Conditions NotBefore)');
  if (!Number.isNaN(notOnOrAfter) && notOnOrAfter + SKEW * 1000 <= nowMs) {
    throw invalidGrant('assertion has expired (Conditions NotOnOrAfter)');
  }
  return issued;
}

export const certificateBearer: GrantHandler = {
  clientAuth: 'any',
  async handle(ctx, req, client) {
    const cert = registeredCertificate(client);
    if (!cert) throw new OAuthError('unauthorized_client', 'the client has no registered certificate for the certificate-bearer grant');
    const xml = Buffer.from(required(req, 'assertion'), 'base64').toString('utf8').trim();
    if (!xml.startsWith('<')) throw invalidGrant('assertion is not base64 of a SAML assertion');
    const root = parseXml(xml, 'assertion');
    if (root.namespaceURI !== SAML_NS || root.localName !== 'Assertion')
      throw invalidGrant('assertion root must be a SAML 2.0 saml:Assertion');

    const assertion = verifySignature(xml, root, cert.pem);
    if (assertion.getAttribute('Version') !== '2.0') throw invalidGrant('assertion Version must be 2.0');
    if (text(path(assertion, 'Issuer')) !== client.clientId) throw invalidGrant('assertion Issuer must be the client id');
    if (!thumbprintMatches(cert, text(path(assertion, 'Subject', 'NameID')))) {
      throw invalidGrant('assertion NameID must be the thumbprint of the registered certificate');
    }
    if (text(path(assertion, 'AuthnStatement', 'AuthnContext', 'AuthnContextClassRef')) !== X509_CONTEXT_CLASS) {
      throw invalidGrant(`assertion AuthnContextClassRef must be ${X509_CONTEXT_CLASS}`);
    }
    const issued = checkTime(assertion, ctx.now());
    const id = assertion.getAttribute('ID') ?? '';
    if (!ctx.replay.remember(`saml:${client.clientId}:${id}`, issued + (MAX_AGE + SKEW) * 1000, ctx.now())) {
      throw invalidGrant('assertion ID was already used (replay)');
    }

    return issueTokenResponse(ctx, {
      user: ownerUser(ctx, client),
      client,
      scope: requestedScope(req),
      refreshToken: true,
      idToken: 'auto',
      id: 'person',
    });
  },
};
