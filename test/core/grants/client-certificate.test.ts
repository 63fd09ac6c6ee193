import { DOMParser } from '@xmldom/xmldom';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint, createSamlAssertion, loadSigningCredentials } from '../../../src/core/assertions/index.js';
import { CERTIFICATE_BEARER_GRANT_TYPE } from '../../../src/core/grants/index.js';
import { OAuthError } from '../../../src/errors.js';
import { DEFAULT_CLIENT, DEFAULT_USERS, type MockEmpowerID, startMockEmpowerID } from '../../../src/testing/index.js';
import { CLIENT_ID, CLIENT_SECRET, clientOf, registered, rejectionOf, startMock, testClock, unregistered } from './helpers.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

let mock: MockEmpowerID;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(() => mock.close());

function parse(base64: string) {
  const doc = new DOMParser().parseFromString(Buffer.from(base64, 'base64').toString('utf8'), 'text/xml');
  const text = (ns: string, name: string) => doc.getElementsByTagNameNS(ns, name).item(0)?.textContent;
  const attr = (ns: string, name: string, a: string) => doc.getElementsByTagNameNS(ns, name).item(0)?.getAttribute(a);
  return { text, attr };
}

describe('clientCertificate', () => {
  it('sends base64 of the signed SAML assertion (rsa-sha1 by default) and gets tokens', async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.clientCertificate(registered);
    expect(tokens).toMatchObject({ access_token: expect.any(String), refresh_token: expect.any(String), id: DEFAULT_USERS[0]!.id });
    expect(tokens.claims?.aud).toBe(CLIENT_ID);

    const body = sent[0]!.body;
    expect(body.get('grant_type')).toBe(CERTIFICATE_BEARER_GRANT_TYPE);
    expect(body.get('client_id')).toBe(CLIENT_ID);
    expect(body.get('client_secret')).toBe(CLIENT_SECRET);
    expect(body.get('scope')).toBe('openid');
    const saml = parse(body.get('assertion')!);
    expect(saml.text(SAML, 'Issuer')).toBe(CLIENT_ID);
    expect(saml.text(SAML, 'NameID')).toBe(certificateThumbprint(registered.certificate));
    expect(saml.text(SAML, 'AuthnContextClassRef')).toBe('urn:oasis:names:tc:SAML:2.0:ac:classes:X509');
    expect(saml.attr(DSIG, 'SignatureMethod', 'Algorithm')).toBe('http://www.w3.org/2000/09/xmldsig#rsa-sha1');
  });

  it('signs with rsa-sha256 when asked', async () => {
    const { client, sent } = clientOf(mock);
    await client.clientCertificate({ ...registered, algorithm: 'rsa-sha256' });
    const saml = parse(sent[0]!.body.get('assertion')!);
    expect(saml.attr(DSIG, 'SignatureMethod', 'Algorithm')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
  });

  it('passes the assertion shape options through: shape "docs", conditions "empty", keyInfo, inclusiveNamespaces', async () => {
    const { client, sent } = clientOf(mock);
    const tokens = await client.clientCertificate({ ...registered, shape: 'docs' });
    expect(tokens.access_token).toEqual(expect.any(String));
    const docs = Buffer.from(sent[0]!.body.get('assertion')!, 'base64').toString('utf8');
    expect(docs).toContain('<saml:Conditions/>');
    expect(docs).not.toContain('KeyInfo');
    expect(docs).toContain('PrefixList="#default saml ds xs xsi"');

    await client.clientCertificate({ ...registered, conditions: 'empty' });
    const empty = Buffer.from(sent[1]!.body.get('assertion')!, 'base64').toString('utf8');
    expect(empty).toContain('<saml:Conditions/>');
    expect(empty).toContain('KeyInfo');

    await client.clientCertificate({ ...registered, keyInfo: false, inclusiveNamespaces: 'saml' });
    const parts = Buffer.from(sent[2]!.body.get('assertion')!, 'base64').toString('utf8');
    expect(parts).not.toContain('KeyInfo');
    expect(parts).toContain('PrefixList="saml"');
    expect(parts).toContain('NotOnOrAfter=');
  });

  it('a key pair that is not registered is invalid_grant', async () => {
    const { client } = clientOf(mock);
    const err = await rejectionOf(client.clientCertificate(unregistered));
    expect(err).toBeInstanceOf(OAuthError);
    expect(err).toMatchObject({ error: 'invalid_grant', code: 'ERR_OAUTH_ERROR' });
  });

  it('a client without a registered certificate is unauthorized_client', async () => {
    const bare = await startMockEmpowerID({ clients: [DEFAULT_CLIENT] });
    try {
      await expect(clientOf(bare).client.clientCertificate(registered)).rejects.toMatchObject({ error: 'unauthorized_client' });
    } finally {
      await bare.close();
    }
  });

  it('a tampered assertion (Issuer changed after signing) is invalid_grant', async () => {
    const { client } = clientOf(mock);
    const credentials = await loadSigningCredentials(registered);
    const { xml } = await createSamlAssertion({ credentials, clientId: CLIENT_ID });
    const tampered = xml.replace(`<saml:Issuer>${CLIENT_ID}</saml:Issuer>`, '<saml:Issuer>someone-else</saml:Issuer>');
    expect(tampered).not.toBe(xml);
    await expect(client.clientCertificate({ assertion: Buffer.from(tampered).toString('base64') })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/modified|signature/),
    });
    // The untouched assertion is fine.
    await expect(client.clientCertificate({ assertion: Buffer.from(xml).toString('base64') })).resolves.toMatchObject({
      access_token: expect.any(String),
    });
  });

  it('an expired assertion (IssueInstant an hour old on the client clock) is invalid_grant', async () => {
    const clock = testClock();
    clock.advance(-3600);
    const { client, sent } = clientOf(mock, { clock: clock.now });
    await expect(client.clientCertificate(registered)).rejects.toMatchObject({ error: 'invalid_grant' });
    const issued = Date.parse(parse(sent[0]!.body.get('assertion')!).attr(SAML, 'Assertion', 'IssueInstant') ?? '');
    expect(Date.now() - issued).toBeGreaterThan(3500_000);
  });

  it('refuses the same assertion twice (replay)', async () => {
    const { client } = clientOf(mock);
    const credentials = await loadSigningCredentials(registered);
    const { base64 } = await createSamlAssertion({ credentials, clientId: CLIENT_ID });
    await client.clientCertificate({ assertion: base64 });
    await expect(client.clientCertificate({ assertion: base64 })).rejects.toMatchObject({
      error: 'invalid_grant',
      error_description: expect.stringMatching(/replay/),
    });
  });
});
