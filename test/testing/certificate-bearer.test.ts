import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { SignedXml } from 'xml-crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockEmpowerID, startMockEmpowerID } from '../../src/testing/index.js';
import { CERT_CLIENT, CLIENT, FOREIGN_CERT, FOREIGN_KEY, REGISTERED_KEY, token } from './helpers.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:certificate-bearer';
/** `openssl x509 -in test/fixtures/testing/registered-cert.pem -noout -fingerprint -sha1`, colons removed. */
const THUMBPRINT = '5AF35AB76C7272EC9B7AF5FC465075C24EDBD1BA';
const X509_CLASS = 'urn:oasis:names:tc:SAML:2.0:ac:classes:X509';
const EXC_C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

interface Fields {
  id: string;
  issuer: string;
  nameId: string;
  classRef: string;
  issueInstant: string;
}

/** The docs' assertion, unsigned. */
function assertionXml(o: Partial<Fields> = {}): string {
  const f: Fields = {
    id: `_${randomUUID()}`,
    issuer: CERT_CLIENT.clientId,
    nameId: THUMBPRINT,
    classRef: X509_CLASS,
    issueInstant: new Date().toISOString(),
    ...o,
  };
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Version="2.0" ID="${f.id}" IssueInstant="${f.issueInstant}">` +
    `<saml:Issuer>${f.issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${f.nameId}</saml:NameID></saml:Subject>` +
    '<saml:Conditions/>' +
    `<saml:AuthnStatement AuthnInstant="${f.issueInstant}"><saml:AuthnContext><saml:AuthnContextClassRef>${f.classRef}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    '</saml:Assertion>'
  );
}

/** Enveloped signature over the root Assertion (URI="#ID"), placed after Issuer as in the docs. */
function sign(xml: string, o: { key?: string; alg?: 'sha1' | 'sha256'; keyInfoCert?: string } = {}): string {
  const alg = o.alg ?? 'sha1';
  const sig = new SignedXml({
    privateKey: o.key ?? REGISTERED_KEY,
    publicCert: o.keyInfoCert,
    signatureAlgorithm: alg === 'sha1' ? 'http://www.w3.org/2000/09/xmldsig#rsa-sha1' : 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: EXC_C14N,
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    transforms: [ENVELOPED, EXC_C14N],
    digestAlgorithm: alg === 'sha1' ? 'http://www.w3.org/2000/09/xmldsig#sha1' : 'http://www.w3.org/2001/04/xmlenc#sha256',
  });
  sig.computeSignature(xml, { location: { reference: "/*/*[local-name(.)='Issuer']", action: 'after' } });
  return sig.getSignedXml();
}

const b64 = (xml: string) => Buffer.from(`<?xml version="1.0"?>\n${xml}`).toString('base64');

describe('grant: certificate-bearer (SAML)', () => {
  let mock: MockEmpowerID;
  beforeAll(async () => {
    mock = await startMockEmpowerID({ clients: [CLIENT, CERT_CLIENT] });
  });
  afterAll(() => mock.close());

  const exchange = (xml: string, client = CERT_CLIENT) => token(mock, { grant_type: GRANT, assertion: b64(xml), scope: 'openid' }, client);
  const rejected = async (xml: string, why: RegExp) => {
    const r = await exchange(xml);
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
    expect(r.body.error_description).toMatch(why);
  };

  it("issues tokens for the client's owner (rsa-sha1, as the docs' example)", async () => {
    const r = await exchange(sign(assertionXml()));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ token_type: 'Bearer', refresh_token: expect.any(String), id: '9b592c74-c014-4536-bfac-f706a4c8d89f' });
    expect(decodeJwt(r.body.id_token).sub).toBe('bob');
  });

  it('accepts rsa-sha256 and a lower-case thumbprint', async () => {
    expect((await exchange(sign(assertionXml({ nameId: THUMBPRINT.toLowerCase() }), { alg: 'sha256' }))).status).toBe(200);
  });

  it('rejects an assertion modified after signing', async () => {
    const signed = sign(assertionXml());
    await rejected(signed.replace('<saml:Conditions/>', '<saml:Conditions NotOnOrAfter="2999-01-01T00:00:00Z"/>'), /modified|digest/);
  });

  it('rejects an assertion signed with another key, even when it embeds that key’s certificate in KeyInfo', async () => {
    await rejected(sign(assertionXml(), { key: FOREIGN_KEY }), /signature/);
    const withKeyInfo = sign(assertionXml(), { key: FOREIGN_KEY, keyInfoCert: FOREIGN_CERT });
    expect(withKeyInfo).toContain('X509Certificate');
    await rejected(withKeyInfo, /signature/);
  });

  it.each<[string, Partial<Fields>, RegExp]>([
    ['wrong Issuer', { issuer: CLIENT.clientId }, /Issuer/],
    ['wrong NameID', { nameId: 'ABCDEF' }, /NameID/],
    ['wrong AuthnContextClassRef', { classRef: 'urn:oasis:names:tc:SAML:2.0:ac:classes:Password' }, /AuthnContextClassRef/],
    ['IssueInstant too old', { issueInstant: new Date(Date.now() - 10 * 60_000).toISOString() }, /IssueInstant/],
    ['IssueInstant in the future', { issueInstant: new Date(Date.now() + 10 * 60_000).toISOString() }, /IssueInstant/],
  ])('rejects a validly signed assertion with %s', async (_name, fields, why) => {
    await rejected(sign(assertionXml(fields)), why);
  });

  it('rejects a replayed assertion ID', async () => {
    const signed = sign(assertionXml());
    expect((await exchange(signed)).status).toBe(200);
    await rejected(signed, /replay/);
  });

  it('rejects signature wrapping: a signature that references a nested assertion, not the root', async () => {
    const original = sign(assertionXml({ issuer: 'someone-else' }));
    const signature = /<Signature[\s\S]*<\/Signature>/.exec(original)?.[0] ?? '';
    const inner = original.replace(signature, '');
    const evil =
      `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" Version="2.0" ID="_evil" IssueInstant="${new Date().toISOString()}">` +
      `<saml:Issuer>${CERT_CLIENT.clientId}</saml:Issuer>${signature}` +
      `<saml:Subject><saml:NameID>${THUMBPRINT}</saml:NameID></saml:Subject>` +
      `<saml:AuthnStatement><saml:AuthnContext><saml:AuthnContextClassRef>${X509_CLASS}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
      `<saml:Advice>${inner}</saml:Advice></saml:Assertion>`;
    await rejected(evil, /reference|signature/);
  });

  it('rejects a document where the root copies the signed ID (duplicate IDs)', async () => {
    const id = `_${randomUUID()}`;
    const original = sign(assertionXml({ id }));
    const evil = original
      .replace(`ID="${id}"`, `ID="${id}" data-x="1"`)
      .replace('<saml:Conditions/>', `<saml:Conditions/><saml:Advice><saml:Assertion ID="${id}"/></saml:Advice>`);
    await rejected(evil, /more than one element/);
  });

  it('rejects unsigned, non-SAML, non-XML and DOCTYPE-carrying assertions', async () => {
    await rejected(assertionXml(), /not signed/);
    await rejected('<foo/>', /saml:Assertion/);
    await rejected('<unclosed>', /well-formed|XML/);
    await rejected(`<!DOCTYPE x [<!ENTITY e "e">]>${sign(assertionXml())}`, /DOCTYPE/);
    const notXml = await token(mock, { grant_type: GRANT, assertion: Buffer.from('hello').toString('base64') }, CERT_CLIENT);
    expect(notXml.body.error).toBe('invalid_grant');
  });

  it('rejects a client without a registered certificate with unauthorized_client', async () => {
    const r = await exchange(sign(assertionXml({ issuer: CLIENT.clientId })), CLIENT);
    expect(r.body.error).toBe('unauthorized_client');
  });
});
