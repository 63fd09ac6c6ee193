/**
 * The signed SAML 2.0 assertion that EmpowerID's client certificate grant
 * (`grant_type=urn:ietf:params:oauth:grant-type:certificate-bearer`) takes as its `assertion`.
 */
import { randomUUID, sign } from 'node:crypto';
import { DOMImplementation, DOMParser, XMLSerializer } from '@xmldom/xmldom';
import type { Element as XmlElement } from '@xmldom/xmldom';
import { ExclusiveCanonicalization, SignedXml } from 'xml-crypto';
import { debug } from '../debug.js';
import type { SigningCredentials } from './certificate.js';
import { fail, readClock, requireCredentials, requireSeconds, requireText } from './internal.js';

const log = debug('assertions');

/**
 * `saml:` namespace of the assertion.
 *
 * @example
 * ```ts
 * doc.getElementsByTagNameNS(SAML_ASSERTION_NAMESPACE, 'NameID');
 * ```
 */
export const SAML_ASSERTION_NAMESPACE = 'urn:oasis:names:tc:SAML:2.0:assertion';
/**
 * `Format` of the `saml:NameID` that carries the certificate thumbprint.
 *
 * @example
 * ```ts
 * nameId.getAttribute('Format') === SAML_NAMEID_FORMAT_UNSPECIFIED;
 * ```
 */
export const SAML_NAMEID_FORMAT_UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
/**
 * The `saml:AuthnContextClassRef` value; the docs say it is a constant that must not change.
 *
 * @example
 * ```ts
 * classRef.textContent === SAML_AUTHN_CONTEXT_X509; // 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509'
 * ```
 */
export const SAML_AUTHN_CONTEXT_X509 = 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509';

/**
 * The `InclusiveNamespaces PrefixList` of the docs' example, under the exclusive c14n transform.
 *
 * @example
 * ```ts
 * await createSamlAssertion({ credentials, clientId, inclusiveNamespaces: SAML_DOCS_PREFIX_LIST });
 * ```
 */
export const SAML_DOCS_PREFIX_LIST = '#default saml ds xs xsi';

const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
const DSIG_NAMESPACE = 'http://www.w3.org/2000/09/xmldsig#';
const ENVELOPED_SIGNATURE = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const EXCLUSIVE_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ALGORITHMS = {
  'rsa-sha1': { signature: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', digest: 'http://www.w3.org/2000/09/xmldsig#sha1', hash: 'sha1' },
  'rsa-sha256': {
    signature: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    digest: 'http://www.w3.org/2001/04/xmlenc#sha256',
    hash: 'sha256',
  },
} as const;
// xs:ID is an NCName; this is its ASCII subset, which is all a generated or configured id needs.
const NCNAME = /^[A-Za-z_][A-Za-z0-9._-]*$/;

/**
 * XML-DSig signature and digest pair. `'rsa-sha1'` (signature rsa-sha1, digest sha1) is what the
 * EmpowerID example shows and the default; `'rsa-sha256'` (rsa-sha256 with a sha256 digest) is
 * stronger, if your EmpowerID server accepts it.
 *
 * @example
 * ```ts
 * await createSamlAssertion({ credentials, clientId, algorithm: 'rsa-sha256' });
 * ```
 */
export type SamlSignatureAlgorithm = keyof typeof ALGORITHMS;

/**
 * What `saml:Conditions` holds.
 * - `'validity-window'` (default): `NotBefore` = now − `clockSkewSeconds` and `NotOnOrAfter` =
 *   now + `lifetimeSeconds`, the same window as the JWT bearer assertion. Both attributes are
 *   standard SAML 2.0, and they keep a captured assertion from being replayable forever.
 * - `'empty'`: `<saml:Conditions/>` exactly as in the docs' example (an assertion that never expires).
 *
 * @example
 * ```ts
 * // Byte-for-byte the docs' shape, if an EmpowerID server ever refused the validity window:
 * await createSamlAssertion({ credentials, clientId, conditions: 'empty' });
 * ```
 */
export type SamlConditionsMode = 'validity-window' | 'empty';

/**
 * `'default'`: the library's shape (a validity window in `Conditions`, the certificate in
 * `KeyInfo`, no `InclusiveNamespaces`). `'docs'`: exactly the docs' example — `<saml:Conditions/>`,
 * no `KeyInfo`, and `InclusiveNamespaces PrefixList="#default saml ds xs xsi"` under the exclusive
 * c14n transform. `conditions`, `keyInfo` and `inclusiveNamespaces` given explicitly win over the shape.
 *
 * @example
 * ```ts
 * await createSamlAssertion({ credentials, clientId, shape: 'docs' });
 * ```
 */
export type SamlAssertionShape = 'default' | 'docs';

/**
 * Input of {@link createSamlAssertion}.
 *
 * @example
 * ```ts
 * const options: SamlAssertionOptions = { credentials, clientId: 'my-client-id', now: () => clock.now() };
 * ```
 */
export interface SamlAssertionOptions {
  /** From {@link loadSigningCredentials}; must hold an RSA key. Its thumbprint becomes `saml:NameID`. */
  credentials: SigningCredentials;
  /** The EmpowerID OAuth application's client id: becomes `saml:Issuer`. */
  clientId: string;
  /** Clock in milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Default `'rsa-sha1'`, as the docs' example. */
  algorithm?: SamlSignatureAlgorithm;
  /** The assertion `ID` (an NCName, e.g. `_` + UUID). Default `_` + `crypto.randomUUID()`. */
  id?: string;
  /** See {@link SamlAssertionShape}. Default `'default'`. */
  shape?: SamlAssertionShape;
  /** See {@link SamlConditionsMode}. Default `'validity-window'` (`'empty'` with `shape: 'docs'`). */
  conditions?: SamlConditionsMode;
  /** Whether the signature carries `KeyInfo/X509Data/X509Certificate`. Default true (false with `shape: 'docs'`). */
  keyInfo?: boolean;
  /**
   * `InclusiveNamespaces PrefixList` written under the exclusive c14n transform (only there, as in
   * the docs' example), e.g. {@link SAML_DOCS_PREFIX_LIST}. Default none (the docs' list with `shape: 'docs'`).
   */
  inclusiveNamespaces?: string;
  /** `NotOnOrAfter` = now + this. Whole seconds, 1–3600. Default 300. */
  lifetimeSeconds?: number;
  /** `NotBefore` = now − this. Whole seconds, 0–3600. Default 300. */
  clockSkewSeconds?: number;
}

/**
 * Result of {@link createSamlAssertion}.
 *
 * @example
 * ```ts
 * const { xml, base64, id }: SamlAssertion = await createSamlAssertion({ credentials, clientId });
 * new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:certificate-bearer', assertion: base64 });
 * ```
 */
export interface SamlAssertion {
  /** The signed assertion, with its `<?xml version="1.0"?>` declaration, as UTF-8 text. */
  xml: string;
  /**
   * Standard base64 (with padding, not base64url) of the UTF-8 bytes of `xml`: the docs'
   * "Base64(Sign(SAML Assertion))", the value of the token request's `assertion` form field.
   * Form-encode it when sending (`+`, `/` and `=` must be percent-encoded; `URLSearchParams` does).
   */
  base64: string;
  /** The assertion `ID`, also the signature reference `#ID`. */
  id: string;
}

/**
 * Builds the SAML 2.0 assertion of EmpowerID's client certificate grant with the @xmldom/xmldom DOM
 * (every caller value is a text node or attribute value, escaped by the serializer) and signs it
 * with xml-crypto.
 *
 * Shape, following the docs' example element for element:
 * ```xml
 * <?xml version="1.0"?>
 * <saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Version="2.0" ID="_<uuid>" IssueInstant="<now>">
 *   <saml:Issuer><client id></saml:Issuer>
 *   <Signature xmlns="http://www.w3.org/2000/09/xmldsig#">…</Signature>
 *   <saml:Subject>
 *     <saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"><thumbprint></saml:NameID>
 *   </saml:Subject>
 *   <saml:Conditions NotBefore="…" NotOnOrAfter="…"/>
 *   <saml:AuthnStatement AuthnInstant="<now>">
 *     <saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:X509</saml:AuthnContextClassRef></saml:AuthnContext>
 *   </saml:AuthnStatement>
 * </saml:Assertion>
 * ```
 * (serialized without the indentation). Times are ISO 8601 UTC with milliseconds. The enveloped
 * signature sits right after `saml:Issuer`, in the default XML-DSig namespace: canonicalization
 * exclusive c14n; one `Reference URI="#ID"` with the transforms enveloped-signature then exclusive
 * c14n; digest sha1 (sha256 with `'rsa-sha256'`); `KeyInfo/X509Data/X509Certificate` carries the
 * certificate.
 *
 * Differences from the example by default, on purpose: no `InclusiveNamespaces PrefixList="#default saml ds xs xsi"`
 * under the c14n transform (for this document it changes nothing: the only namespace in scope,
 * `saml`, is visibly used by the root); `KeyInfo` carries the certificate (the example has none);
 * and `saml:Conditions` carries a validity window. `shape: 'docs'` (or `conditions: 'empty'`,
 * `keyInfo: false`, `inclusiveNamespaces`) produces the example's exact shape.
 *
 * @see EmpowerID docs: OAuth 2.0 / OIDC, Client Certificate Grant; SAML 2.0 Core §2.3.3 (Assertion); XML Signature (enveloped)
 * @throws {EmpowerIDError} `ERR_ASSERTION_INVALID` for a missing or malformed option, an EC key
 * (xml-crypto signs with RSA only), or a signing failure.
 *
 * @example
 * ```ts
 * import { createSamlAssertion, loadSigningCredentials } from 'empowerid-express';
 *
 * const credentials = await loadSigningCredentials({ privateKey: keyPem, certificate: certPem });
 * const { base64 } = await createSamlAssertion({ credentials, clientId: 'my-client-id' });
 * const body = new URLSearchParams({
 *   grant_type: 'urn:ietf:params:oauth:grant-type:certificate-bearer',
 *   assertion: base64,
 *   client_id: 'my-client-id',
 *   client_secret: '…',
 *   scope: 'openid',
 * });
 * ```
 */
export async function createSamlAssertion(options: SamlAssertionOptions): Promise<SamlAssertion> {
  if (!options || typeof options !== 'object') fail('createSamlAssertion() needs an options object');
  const credentials = requireCredentials(options.credentials);
  if (credentials.privateKey.asymmetricKeyType !== 'rsa') {
    fail(
      `the SAML assertion is signed with RSA (rsa-sha1 or rsa-sha256); "credentials" hold ` +
        `an ${credentials.privateKey.asymmetricKeyType ?? 'unknown'} key`,
    );
  }
  const clientId = requireText(options.clientId, 'clientId');
  const algorithmName = options.algorithm ?? 'rsa-sha1';
  if (!Object.hasOwn(ALGORITHMS, algorithmName)) fail('option "algorithm" must be "rsa-sha1" or "rsa-sha256"');
  const algorithm = ALGORITHMS[algorithmName];
  const id = options.id === undefined ? `_${randomUUID()}` : requireText(options.id, 'id');
  if (!NCNAME.test(id)) fail('option "id" must be an XML NCName: a letter or "_" then letters, digits, ".", "-" or "_"');
  const shape = options.shape ?? 'default';
  if (shape !== 'default' && shape !== 'docs') fail('option "shape" must be "default" or "docs"');
  const docs = shape === 'docs';
  const conditions = options.conditions ?? (docs ? 'empty' : 'validity-window');
  if (conditions !== 'validity-window' && conditions !== 'empty') {
    fail('option "conditions" must be "validity-window" or "empty"');
  }
  const keyInfo = options.keyInfo ?? !docs;
  if (typeof keyInfo !== 'boolean') fail('option "keyInfo" must be true or false');
  const prefixList = options.inclusiveNamespaces ?? (docs ? SAML_DOCS_PREFIX_LIST : undefined);
  if (prefixList !== undefined && (typeof prefixList !== 'string' || !/^\S+( \S+)*$/.test(prefixList))) {
    fail('option "inclusiveNamespaces" must be a space-separated list of prefixes, e.g. "#default saml ds xs xsi"');
  }
  const lifetime = requireSeconds(options.lifetimeSeconds, 'lifetimeSeconds', 300, { min: 1, max: 3600 });
  const skew = requireSeconds(options.clockSkewSeconds, 'clockSkewSeconds', 300, { min: 0, max: 3600 });
  const now = readClock(options.now);

  const unsigned = buildAssertion({
    id,
    clientId,
    thumbprint: credentials.thumbprint,
    instant: new Date(now).toISOString(),
    window:
      conditions === 'empty'
        ? undefined
        : {
            notBefore: new Date(now - skew * 1000).toISOString(),
            notOnOrAfter: new Date(now + lifetime * 1000).toISOString(),
          },
  });

  let xml: string;
  try {
    const signer = new SignedXml({
      privateKey: credentials.privateKey,
      publicCert: credentials.certificatePem,
      signatureAlgorithm: algorithm.signature,
      canonicalizationAlgorithm: EXCLUSIVE_C14N,
      ...(!keyInfo && { getKeyInfoContent: SignedXml.noop }),
    });
    signer.addReference({
      xpath: '/*',
      transforms: [ENVELOPED_SIGNATURE, EXCLUSIVE_C14N],
      digestAlgorithm: algorithm.digest,
      ...(prefixList !== undefined && { inclusiveNamespacesPrefixList: prefixList.split(' ') }),
    });
    signer.computeSignature(unsigned, {
      location: {
        reference: `/*/*[local-name()='Issuer' and namespace-uri()='${SAML_ASSERTION_NAMESPACE}']`,
        action: 'after',
      },
    });
    xml = signer.getSignedXml();
    if (prefixList !== undefined) xml = keepPrefixListOnC14nOnly(xml, credentials.privateKey, algorithm.hash);
  } catch (error) {
    fail(`the SAML assertion could not be signed (${(error as Error).message})`, error);
  }
  log('signed SAML assertion id=%s alg=%s thumbprint=%s', id, algorithmName, credentials.thumbprint);
  return { xml, base64: Buffer.from(xml, 'utf8').toString('base64'), id };
}

/**
 * xml-crypto writes a reference's `InclusiveNamespaces` under every transform; the docs' example
 * has it under the exclusive c14n transform only (and .NET's `SignedXml` refuses it under the
 * enveloped-signature one). Removes it there and signs the changed `SignedInfo` again with the
 * same algorithm, canonicalized by xml-crypto's exclusive c14n. The digest is unchanged: the
 * enveloped-signature transform never reads a prefix list.
 */
function keepPrefixListOnC14nOnly(xml: string, key: SigningCredentials['privateKey'], hash: string): string {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const signedInfo = doc.getElementsByTagNameNS(DSIG_NAMESPACE, 'SignedInfo')[0];
  const signatureValue = doc.getElementsByTagNameNS(DSIG_NAMESPACE, 'SignatureValue')[0];
  if (!signedInfo || !signatureValue) fail('the signed SAML assertion has no SignedInfo');
  for (const transform of Array.from(signedInfo.getElementsByTagNameNS(DSIG_NAMESPACE, 'Transform'))) {
    if (transform.getAttribute('Algorithm') !== ENVELOPED_SIGNATURE) continue;
    for (const child of Array.from(transform.childNodes)) transform.removeChild(child);
  }
  const canonical = new ExclusiveCanonicalization().process(signedInfo as unknown as Element, {});
  signatureValue.textContent = sign(hash, Buffer.from(canonical, 'utf8'), key).toString('base64');
  return new XMLSerializer().serializeToString(doc);
}

interface AssertionFields {
  id: string;
  clientId: string;
  thumbprint: string;
  instant: string;
  window: { notBefore: string; notOnOrAfter: string } | undefined;
}

function buildAssertion(fields: AssertionFields): string {
  const doc = new DOMImplementation().createDocument(SAML_ASSERTION_NAMESPACE, 'saml:Assertion', null);
  doc.insertBefore(doc.createProcessingInstruction('xml', 'version="1.0"'), doc.documentElement);
  const assertion = doc.documentElement;
  if (!assertion) fail('the SAML assertion document could not be created');
  const element = (name: string, parent: XmlElement, text?: string): XmlElement => {
    const child = doc.createElementNS(SAML_ASSERTION_NAMESPACE, `saml:${name}`);
    if (text !== undefined) child.appendChild(doc.createTextNode(text));
    parent.appendChild(child);
    return child;
  };

  // Declared first so it serializes first, as in the docs' example.
  assertion.setAttributeNS(XMLNS_NAMESPACE, 'xmlns:saml', SAML_ASSERTION_NAMESPACE);
  assertion.setAttribute('Version', '2.0');
  assertion.setAttribute('ID', fields.id);
  assertion.setAttribute('IssueInstant', fields.instant);

  element('Issuer', assertion, fields.clientId);
  const subject = element('Subject', assertion);
  element('NameID', subject, fields.thumbprint).setAttribute('Format', SAML_NAMEID_FORMAT_UNSPECIFIED);
  const conditions = element('Conditions', assertion);
  if (fields.window) {
    conditions.setAttribute('NotBefore', fields.window.notBefore);
    conditions.setAttribute('NotOnOrAfter', fields.window.notOnOrAfter);
  }
  const statement = element('AuthnStatement', assertion);
  statement.setAttribute('AuthnInstant', fields.instant);
  element('AuthnContextClassRef', element('AuthnContext', statement), SAML_AUTHN_CONTEXT_X509);

  return new XMLSerializer().serializeToString(doc);
}
