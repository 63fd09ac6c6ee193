import { X509Certificate } from 'node:crypto';
import { DOMParser } from '@xmldom/xmldom';
import type { Document, Element } from '@xmldom/xmldom';
import { SignedXml } from 'xml-crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SigningCredentials } from '../../../src/core/assertions/index.js';
import { createSamlAssertion, loadSigningCredentials } from '../../../src/core/assertions/index.js';
import { EmpowerIDError } from '../../../src/errors.js';
import { client, ec, other } from './fixtures.js';

// Spelled out here rather than imported, so a typo in the implementation's constants is caught.
const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';
const UNSPECIFIED = 'urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified';
const X509_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509';
const CLIENT_ID = 'b1b4e8a0-3c1e-4bd2-9f1f-8c7e6d5a4b3c';
const NOW = Date.UTC(2030, 0, 2, 3, 4, 5, 678);
const ISO_NOW = '2030-01-02T03:04:05.678Z';

const clientThumbprint = new X509Certificate(client.cert).fingerprint.replaceAll(':', '');
const otherThumbprint = new X509Certificate(other.cert).fingerprint.replaceAll(':', '');

let credentials: SigningCredentials;
let otherCredentials: SigningCredentials;
beforeAll(async () => {
  credentials = await loadSigningCredentials({ privateKey: client.key, certificate: client.cert });
  otherCredentials = await loadSigningCredentials({ privateKey: other.key, certificate: other.cert });
});

const parse = (xml: string): Document => new DOMParser().parseFromString(xml, 'text/xml');
const elements = (parent: Element): Element[] => Array.from(parent.childNodes).filter((node): node is Element => node.nodeType === 1);
const only = (parent: Element, ns: string, localName: string): Element => {
  const found = elements(parent).filter((e) => e.namespaceURI === ns && e.localName === localName);
  expect(found, `${localName} under ${parent.localName}`).toHaveLength(1);
  return found[0] as Element;
};
const names = (parent: Element): string[] => elements(parent).map((e) => `${e.namespaceURI}|${e.localName}`);

/**
 * Verifies the enveloped signature the way a relying party would: with the certificate it has on
 * file (never the KeyInfo in the document), requiring the one signed reference to be the whole
 * assertion. Returns the canonical XML that was signed, or undefined when verification fails.
 */
function verify(xml: string, certPem: string): string | undefined {
  const doc = parse(xml);
  const signatures = doc.getElementsByTagNameNS(DSIG, 'Signature');
  if (signatures.length !== 1) return undefined;
  const verifier = new SignedXml({ publicCert: certPem });
  verifier.loadSignature(String(signatures.item(0)));
  let valid = false;
  try {
    valid = verifier.checkSignature(xml);
  } catch {
    valid = false;
  }
  if (!valid) return undefined;
  const signed = verifier.getSignedReferences();
  if (signed.length !== 1) return undefined;
  return signed[0];
}

describe('createSamlAssertion', () => {
  it('builds the assertion shaped like the EmpowerID example', async () => {
    const { xml, id } = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW });
    expect(xml.startsWith('<?xml version="1.0"?><saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ')).toBe(true);

    const root = parse(xml).documentElement as Element;
    expect(root.namespaceURI).toBe(SAML);
    expect(root.prefix).toBe('saml');
    expect(root.localName).toBe('Assertion');
    expect(root.getAttribute('Version')).toBe('2.0');
    expect(root.getAttribute('ID')).toBe(id);
    expect(id).toMatch(/^_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(root.getAttribute('IssueInstant')).toBe(ISO_NOW);

    expect(names(root)).toEqual([`${SAML}|Issuer`, `${DSIG}|Signature`, `${SAML}|Subject`, `${SAML}|Conditions`, `${SAML}|AuthnStatement`]);
    for (const e of elements(root)) if (e.namespaceURI === SAML) expect(e.prefix).toBe('saml');

    expect(only(root, SAML, 'Issuer').textContent).toBe(CLIENT_ID);
    const nameId = only(only(root, SAML, 'Subject'), SAML, 'NameID');
    expect(nameId.getAttribute('Format')).toBe(UNSPECIFIED);
    expect(nameId.textContent).toBe(clientThumbprint);

    const statement = only(root, SAML, 'AuthnStatement');
    expect(statement.getAttribute('AuthnInstant')).toBe(ISO_NOW);
    const classRef = only(only(statement, SAML, 'AuthnContext'), SAML, 'AuthnContextClassRef');
    expect(classRef.textContent).toBe(X509_CLASS);
  });

  it('puts a validity window in Conditions by default, and nothing with conditions: "empty"', async () => {
    const windowed = parse((await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW })).xml);
    const conditions = only(windowed.documentElement as Element, SAML, 'Conditions');
    expect(conditions.getAttribute('NotBefore')).toBe('2030-01-02T02:59:05.678Z');
    expect(conditions.getAttribute('NotOnOrAfter')).toBe('2030-01-02T03:09:05.678Z');
    expect(elements(conditions)).toHaveLength(0);

    const custom = parse(
      (await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW, lifetimeSeconds: 60, clockSkewSeconds: 0 })).xml,
    );
    const customConditions = only(custom.documentElement as Element, SAML, 'Conditions');
    expect(customConditions.getAttribute('NotBefore')).toBe(ISO_NOW);
    expect(customConditions.getAttribute('NotOnOrAfter')).toBe('2030-01-02T03:05:05.678Z');

    const { xml } = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW, conditions: 'empty' });
    expect(xml).toContain('<saml:Conditions/>');
    const empty = only(parse(xml).documentElement as Element, SAML, 'Conditions');
    expect(empty.attributes.length).toBe(0);
    expect(empty.childNodes.length).toBe(0);
    expect(verify(xml, client.cert)).toBeDefined();
  });

  it.each([
    ['rsa-sha1', 'default', undefined, 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1'],
    ['rsa-sha1', 'explicit', 'rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#rsa-sha1', 'http://www.w3.org/2000/09/xmldsig#sha1'],
    [
      'rsa-sha256',
      'explicit',
      'rsa-sha256',
      'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
      'http://www.w3.org/2001/04/xmlenc#sha256',
    ],
  ] as const)(
    'writes a verifiable enveloped %s signature after saml:Issuer (%s)',
    async (_label, _how, algorithm, signatureMethod, digestMethod) => {
      const { xml, id } = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW, algorithm });
      const signature = only(parse(xml).documentElement as Element, DSIG, 'Signature');
      expect(signature.prefix).toBeNull();
      expect(names(signature)).toEqual([`${DSIG}|SignedInfo`, `${DSIG}|SignatureValue`, `${DSIG}|KeyInfo`]);

      const signedInfo = only(signature, DSIG, 'SignedInfo');
      expect(only(signedInfo, DSIG, 'CanonicalizationMethod').getAttribute('Algorithm')).toBe(EXC_C14N);
      expect(only(signedInfo, DSIG, 'SignatureMethod').getAttribute('Algorithm')).toBe(signatureMethod);
      const reference = only(signedInfo, DSIG, 'Reference');
      expect(reference.getAttribute('URI')).toBe(`#${id}`);
      const transforms = elements(only(reference, DSIG, 'Transforms'));
      expect(transforms.map((t) => t.getAttribute('Algorithm'))).toEqual([ENVELOPED, EXC_C14N]);
      // .NET's SignedXml refuses an enveloped-signature Transform that has child elements.
      for (const transform of transforms) expect(elements(transform)).toHaveLength(0);
      expect(only(reference, DSIG, 'DigestMethod').getAttribute('Algorithm')).toBe(digestMethod);
      expect(only(reference, DSIG, 'DigestValue').textContent).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);

      const x509 = only(only(only(signature, DSIG, 'KeyInfo'), DSIG, 'X509Data'), DSIG, 'X509Certificate');
      expect(x509.textContent).toBe(new X509Certificate(client.cert).raw.toString('base64'));

      const signed = verify(xml, client.cert);
      expect(signed).toBeDefined();
      expect(signed).toContain(`ID="${id}"`);
      expect(signed).toContain(`>${clientThumbprint}</saml:NameID>`);
      expect(signed).not.toContain('Signature');
    },
  );

  it('shape: "docs" is the docs\' example exactly: empty Conditions, no KeyInfo, the PrefixList under the c14n transform only', async () => {
    const { xml, id } = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW, shape: 'docs' });
    const root = parse(xml).documentElement as Element;
    expect(names(root)).toEqual([`${SAML}|Issuer`, `${DSIG}|Signature`, `${SAML}|Subject`, `${SAML}|Conditions`, `${SAML}|AuthnStatement`]);
    expect(xml).toContain('<saml:Conditions/>');
    const signature = only(root, DSIG, 'Signature');
    expect(names(signature)).toEqual([`${DSIG}|SignedInfo`, `${DSIG}|SignatureValue`]);
    const reference = only(only(signature, DSIG, 'SignedInfo'), DSIG, 'Reference');
    expect(reference.getAttribute('URI')).toBe(`#${id}`);
    const [enveloped, c14n] = elements(only(reference, DSIG, 'Transforms'));
    expect(enveloped?.getAttribute('Algorithm')).toBe(ENVELOPED);
    expect(elements(enveloped as Element)).toHaveLength(0);
    expect(c14n?.getAttribute('Algorithm')).toBe(EXC_C14N);
    const inclusive = only(c14n as Element, EXC_C14N, 'InclusiveNamespaces');
    expect(inclusive.getAttribute('PrefixList')).toBe('#default saml ds xs xsi');
    expect(only(only(signature, DSIG, 'SignedInfo'), DSIG, 'SignatureMethod').getAttribute('Algorithm')).toBe(
      'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
    );
    expect(verify(xml, client.cert)).toContain(`>${clientThumbprint}</saml:NameID>`);
    expect(verify(xml, other.cert)).toBeUndefined();

    // Each part on its own, and explicit options win over the shape.
    const parts = await createSamlAssertion({
      credentials,
      clientId: CLIENT_ID,
      now: () => NOW,
      keyInfo: false,
      inclusiveNamespaces: 'saml',
    });
    expect(parts.xml).not.toContain('KeyInfo');
    const partsTransforms = parse(parts.xml).getElementsByTagNameNS(EXC_C14N, 'InclusiveNamespaces');
    expect(partsTransforms.length).toBe(1);
    expect(partsTransforms.item(0)?.getAttribute('PrefixList')).toBe('saml');
    expect(parts.xml).toContain('NotOnOrAfter=');
    expect(verify(parts.xml, client.cert)).toBeDefined();
    const windowed = await createSamlAssertion({
      credentials,
      clientId: CLIENT_ID,
      now: () => NOW,
      shape: 'docs',
      conditions: 'validity-window',
    });
    expect(windowed.xml).toContain('NotOnOrAfter=');
    await expect(createSamlAssertion({ credentials, clientId: CLIENT_ID, shape: 'exact' as never })).rejects.toThrow(/shape/);
  });

  it('returns base64 of the UTF-8 XML (standard alphabet, padded)', async () => {
    const { xml, base64 } = await createSamlAssertion({ credentials, clientId: 'clïent-ü', now: () => NOW });
    expect(base64).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
    expect(base64.length % 4).toBe(0);
    expect(Buffer.from(base64, 'base64').equals(Buffer.from(xml, 'utf8'))).toBe(true);
    expect(verify(Buffer.from(base64, 'base64').toString('utf8'), client.cert)).toBeDefined();
  });

  it.each([
    ['NameID', (xml: string) => xml.replace(`>${clientThumbprint}<`, `>${otherThumbprint}<`)],
    ['Issuer', (xml: string) => xml.replace(`>${CLIENT_ID}<`, '>someone-else<')],
    ['IssueInstant', (xml: string) => xml.replace(`IssueInstant="${ISO_NOW}"`, 'IssueInstant="2099-01-01T00:00:00.000Z"')],
    ['Conditions', (xml: string) => xml.replace(/NotOnOrAfter="[^"]+"/, 'NotOnOrAfter="2099-01-01T00:00:00.000Z"')],
  ])('fails verification when %s is tampered with', async (_name, tamper) => {
    const { xml } = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW });
    const tampered = tamper(xml);
    expect(tampered).not.toBe(xml);
    expect(verify(xml, client.cert)).toBeDefined();
    expect(verify(tampered, client.cert)).toBeUndefined();
  });

  it('signed with another key does not verify against the client certificate', async () => {
    const { xml } = await createSamlAssertion({ credentials: otherCredentials, clientId: CLIENT_ID, now: () => NOW });
    expect(verify(xml, client.cert)).toBeUndefined();
    expect(verify(xml, other.cert)).toBeDefined();
  });

  it('escapes caller values through the DOM instead of letting them become markup', async () => {
    const clientId = `evil</saml:Issuer><saml:Injected a="1"/>&amp;"'<![CDATA[x]]>`;
    const { xml } = await createSamlAssertion({ credentials, clientId, now: () => NOW });
    const root = parse(xml).documentElement as Element;
    expect(only(root, SAML, 'Issuer').textContent).toBe(clientId);
    expect(root.getElementsByTagNameNS(SAML, 'Injected').length).toBe(0);
    expect(verify(xml, client.cert)).toBeDefined();
  });

  it('uses the given id, and is deterministic for a fixed id and clock', async () => {
    const a = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW, id: '_fixed-id.1' });
    const b = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW, id: '_fixed-id.1' });
    expect(a.id).toBe('_fixed-id.1');
    expect(a.xml).toContain('URI="#_fixed-id.1"');
    expect(a.xml).toBe(b.xml);
    const c = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW });
    const d = await createSamlAssertion({ credentials, clientId: CLIENT_ID, now: () => NOW });
    expect(c.id).not.toBe(d.id);
  });

  it.each([
    ['an id starting with a digit', { id: '1abc' }, /"id" must be an XML NCName/],
    ['an id with a space', { id: '_a b' }, /"id" must be an XML NCName/],
    ['an id with a quote', { id: '_a"b' }, /"id" must be an XML NCName/],
    ['an empty clientId', { clientId: '' }, /"clientId"/],
    ['a clientId with a newline', { clientId: 'a\nb' }, /"clientId" contains a control character/],
    ['an unknown algorithm', { algorithm: 'rsa-md5' }, /"algorithm"/],
    ['an unknown conditions mode', { conditions: 'none' }, /"conditions"/],
    ['lifetimeSeconds 0', { lifetimeSeconds: 0 }, /"lifetimeSeconds"/],
    ['a clock that is not a function', { now: 5 }, /"now"/],
    ['missing credentials', { credentials: undefined }, /loadSigningCredentials\(\)/],
  ])('rejects %s with ERR_ASSERTION_INVALID', async (_name, override, message) => {
    const error = await createSamlAssertion({ credentials, clientId: CLIENT_ID, ...(override as object) } as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EmpowerIDError);
    expect((error as EmpowerIDError).code).toBe('ERR_ASSERTION_INVALID');
    expect((error as EmpowerIDError).message).toMatch(message);
  });

  it('refuses EC credentials clearly', async () => {
    const ecCredentials = await loadSigningCredentials({ privateKey: ec.key, certificate: ec.cert });
    await expect(createSamlAssertion({ credentials: ecCredentials, clientId: CLIENT_ID })).rejects.toMatchObject({
      code: 'ERR_ASSERTION_INVALID',
      message: expect.stringMatching(/signed with RSA.*ec key/),
    });
  });
});
