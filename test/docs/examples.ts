/**
 * Every HTTP, URL and curl example of the five vendor documents (`empowerid-docs/000`–`004`),
 * copied verbatim, and a parser that turns one into a request after substituting the server and
 * the placeholders (`{The Client ID …}`, `xxxxxxxx`, `<EID Server>`, `base64Encode(<a>:<b>)`).
 * A placeholder without a value is an error, so no example is sent half-filled.
 */

/** Where an example comes from: document and section. */
export interface Source {
  doc: '000' | '001' | '002' | '003' | '004';
  section: string;
}

export interface Example extends Source {
  kind: 'http' | 'url' | 'curl';
  text: string;
}

const http = (doc: Source['doc'], section: string, text: string): Example => ({ doc, section, kind: 'http', text });
const url = (doc: Source['doc'], section: string, text: string): Example => ({ doc, section, kind: 'url', text });

// Texts shared word for word by several documents are written once and listed under each.
const JWT_BEARER = `POST /oauth/v2/token HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Cache-Control: no-cache

client_id={The Client ID of the OAuth app you registered in EmpowerID}
&client_secret={The Client Secret of the OAuth app you registered in EmpowerID}
&grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer
&assertion=xxxxxxxxxxxxxxxxxx
&scope=openid`;

const CLIENT_CREDENTIALS = `POST /oauth/v2/token HTTP/1.1 Host: <EID Server> Content-Type: application/x-www-form-urlencoded Cache-Control: no-cache   client_id={The Client ID of the OAuth app you registered in EmpowerID} &client_secret={The Client Secret of the OAuth app you registered in EmpowerID} &grant_type=client_credentials &scope=openid &username={EmpowerID person identifier}`;

const CODE_EXCHANGE = `https://<EID Server>/oauth/v2/token
?client_id={The Client ID of the OAuth app you registered in EmpowerID}
 &client_secret={The Client Secret of the OAuth app you registered in EmpowerID}
 &grant_type=authorization_code
 &code=xxxxxxxxxxxxxxxxxx`;

const PASSWORD = `POST /oauth/v2/token HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Authorization: Basic base64Encode(<username>:<password>)
Cache-Control: no-cache

client_id={The Client ID of the OAuth app you registered in EmpowerID}
&client_secret={The Client Secret of the OAuth app you registered in EmpowerID}
&grant_type=password
&scope=openid`;

const CLIENT_CERTIFICATE = `POST /oauth/v2/token HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Cache-Control: no-cache

client_id={The Client ID of the OAuth app you registered in EmpowerID}
&client_secret={The Client Secret of the OAuth app you registered in EmpowerID}
&grant_type=urn:ietf:params:oauth:grant-type:certificate-bearer
&assertion=xxxxxxxxxxxxxxxxxx
&scope=openid`;

const REFRESH = `POST /oauth/v2/token HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Cache-Control: no-cache

client_id={The Client ID of the OAuth app you registered in EmpowerID}
&client_secret={The Client Secret of the OAuth app you registered in EmpowerID}
&grant_type=refresh_token
&refresh_token={The refresh token received when requesting an access token}`;

const tokenEndpoint = (path: string, token: string) => `POST /oauth/v2/${path} HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Cache-Control: no-cache
Authorization: Basic base64Encode(<ClientID>:<ClientSecret>)

token={${token}}
&token_type_hint=refresh_token/access_token`;

const userinfo = (token: string) => `POST /oauth/v2/userinfo HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Cache-Control: no-cache
Authorization: Basic base64Encode(<ClientID>:<ClientSecret>)

access_token={${token}}`;

/** Every example, in document order. */
export const EXAMPLES = {
  '000 jwt-bearer': http('000', 'JWT Bearer Grant', JWT_BEARER),
  '001 client-credentials': http('001', 'Client Credential Grant', CLIENT_CREDENTIALS),
  '002 discovery': url('002', 'OAuth Discovery Endpoint', 'https://<EID Server>/oauth/.well-know/openid-configuration'),
  '002 authorize hybrid': url(
    '002',
    'Authorization Code Grant, step 1',
    `https://<EID Server>/oauth/v2/ui/authorize
?client_id=xxxxxxxxxxxxxxxxxx
 &redirect_uri=https%3A%2F%2Ftestoauthapp.com%2FcallbackUrl
 &response_type=code id_token
 &state=xxxxxxxxxxxxxxxxxx
 &nonce=xxxxxxxxxxxxxxxxxx
 &scope=openid`,
  ),
  '002 code exchange': url('002', 'Authorization Code Grant, step 4', CODE_EXCHANGE),
  '002 implicit': url(
    '002',
    'Implicit Grant, step 1',
    `https://<EID Server>/oauth/v2/ui/authorize
?client_id=xxxxxxxxxxxxxxxxxx
 &redirect_uri=https%3A%2F%2Ftestoauthapp.com%2FcallbackUrl
 &response_type=token id_token
 &state=xxxxxxxxxxxxxxxxxx
 &nonce=xxxxxxxxxxxxxxxxxx`,
  ),
  '002 password': http('002', 'Resource Owner Password Grant', PASSWORD),
  '002 jwt-bearer': http('002', 'JWT Bearer Grant', JWT_BEARER),
  '002 client-certificate': http('002', 'Client Certificate Grant', CLIENT_CERTIFICATE),
  '002 refresh': http('002', 'Refresh Token Grant', REFRESH),
  '002 tokeninfo': http('002', 'Token Info Endpoint', tokenEndpoint('tokeninfo', 'Your access token')),
  '002 tokenrevoke': http('002', 'Token Revoke Endpoint', tokenEndpoint('tokenrevoke', 'Your access token')),
  '002 userinfo': http('002', 'User Info Endpoint', userinfo('Access token of the user')),
  '003 discovery': url('003', 'OAuth Discovery Endpoint', 'https://<EID Server>/oauth/.well-know/openid-configuration'),
  '003 authorize code': url(
    '003',
    'Authorization Code Grant, step 1',
    `https://<EID Server>/oauth/v2/ui/authorize
?client_id=xxxxxxxxxxxxxxxxxx
 &redirect_uri=https%3A%2F%2Ftestoauthapp.com%2FcallbackUrl
 &response_type=code
 &scope=openid
 &state=xxxxxxxxxxxxxxxxxx
 &nonce=xxxxxxxxxxxxxxxxxx`,
  ),
  '003 code exchange': url('003', 'Authorization Code Grant, step 4', CODE_EXCHANGE),
  '003 authorize pkce': url(
    '003',
    'Authorization Code Grant with PKCE, step 1',
    `https://<EID Server>/oauth/v2/ui/authorize
?client_id=xxxxxxxxxxxxxxxxxx
 &redirect_uri=https%3A%2F%2Ftestoauthapp.com%2FcallbackUrl
 &response_type=code
 &state=xxxxxxxxxxxxxxxxxx
 &nonce=xxxxxxxxxxxxxxxxxx
 &scope=openid
 &code_challenge=xxxxxxxxxxxxxxxxxx
 &code_challenge_method=S256`,
  ),
  '003 code exchange pkce': url(
    '003',
    'Authorization Code Grant with PKCE, step 4',
    `https://<EID Server>/oauth/v2/token
?client_id={The Client ID of the OAuth app you registered in EmpowerID}
 &client_secret={The Client Secret of the OAuth app you registered in EmpowerID}
 &grant_type=authorization_code
 &code=xxxxxxxxxxxxxxxxxx
 &code_verifier=xxxxxxxxxxxxxxxxxx`,
  ),
  '003 implicit': url(
    '003',
    'Implicit Grant, step 1',
    `https://<EID Server>/oauth/v2/ui/authorize
?client_id=xxxxxxxxxxxxxxxxxx
 &redirect_uri=https%3A%2F%2Ftestoauthapp.com%2FcallbackUrl
 &response_type=token
 &scope=openid
 &state=xxxxxxxxxxxxxxxxxx
 &nonce=xxxxxxxxxxxxxxxxxx`,
  ),
  '003 password': http('003', 'Resource Owner Password Grant', PASSWORD),
  '003 jwt-bearer': http('003', 'JWT Bearer Grant', JWT_BEARER),
  '003 client-certificate': http('003', 'Client Certificate Grant', CLIENT_CERTIFICATE),
  '003 refresh': http('003', 'Refresh Token Grant', REFRESH),
  '003 token-exchange': http(
    '003',
    'Token Exchange Grant',
    `POST /oauth/v2/token HTTP/1.1
Host: <EID Server>
Content-Type: application/x-www-form-urlencoded
Cache-Control: no-cache
Authorization: Basic base64Encode(<ClientID>:<ClientSecret>)

subject_token={Your token}
&subject_token_type={Your token type}
&grant_type=urn:ietf:params:oauth:grant-type:token-exchange
&scope=openid`,
  ),
  '003 tokeninfo': http('003', 'Token Introspection Endpoint', tokenEndpoint('tokeninfo', 'Your token')),
  '003 tokenrevoke': http('003', 'Token Revoke Endpoint', tokenEndpoint('tokenrevoke', 'Your token')),
  '003 userinfo': http('003', 'User Info Endpoint', userinfo('Your access token')),
  '003 logout': url(
    '003',
    'RP-Initiated Logout',
    `https://<EID Server>/oauth/v2/ui/logout
?post_logout_redirect_uri=xxxxxxxxxxxxxxxxxx
 &id_token_hint=eyJhbGciOiJSUzyVGE3cG.............ahi-cCrWZfcow
 &global_logout=true
 &state=xxxxxxxxxxxxxxxxxx`,
  ),
  '004 asgardeo jwt-bearer': {
    doc: '004',
    section: 'Try it out, step 3',
    kind: 'curl',
    text: `curl -v -k -X POST https://api.asgardeo.io/t/<organization_name>/oauth2/token \\
--header "Authorization: Basic <Base64Encoded(CLIENT_ID:CLIENT_SECRET)>" \\
--header "Content-Type:application/x-www-form-urlencoded" \\
--data-urlencode "grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer" \\
--data-urlencode "assertion=<jwt_token>"`,
  },
} satisfies Record<string, Example>;

export type ExampleName = keyof typeof EXAMPLES;

/** A parsed example: what goes on the wire. `params` keeps the docs' order. */
export interface DocRequest {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  /** Form body (http, curl) or query (url) parameters. */
  params: [string, string][];
}

/** Values for the placeholders: parameter names, plus `server`, `ClientID`, `ClientSecret`, `username`, `password`. */
export type Fill = Record<string, string>;

const PLACEHOLDER = /^(\{.*\}|x{6,}|<[^>]+>|refresh_token\/access_token|eyJ[\w.-]*\.{3,}[\w-]*)$/;

/** True when the docs wrote a stand-in rather than a value. */
export function isPlaceholder(value: string): boolean {
  return PLACEHOLDER.test(value);
}

function need(fill: Fill, key: string, example: string): string {
  const v = fill[key];
  if (v === undefined) throw new Error(`${example}: no value for the placeholder of "${key}"`);
  return v;
}

function value(name: string, raw: string, fill: Fill, example: string): string {
  const trimmed = raw.trim();
  if (isPlaceholder(trimmed)) return need(fill, name, example);
  return decodeURIComponent(trimmed);
}

function basic(header: string, fill: Fill, example: string): string {
  const m = /^Basic (?:base64Encode\(<(\w+)>:<(\w+)>\)|<Base64Encoded\((\w+):(\w+)\)>)$/.exec(header);
  if (!m) return header;
  const [a, b] = m[1] !== undefined ? [m[1], m[2] as string] : [m[3] as string, m[4] as string];
  const alias: Record<string, string> = { CLIENT_ID: 'ClientID', CLIENT_SECRET: 'ClientSecret' };
  const pair = `${need(fill, alias[a] ?? a, example)}:${need(fill, alias[b] ?? b, example)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

function pairs(text: string, fill: Fill, example: string): [string, string][] {
  return text
    .split('&')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      const name = p.slice(0, eq).trim();
      return [name, value(name, p.slice(eq + 1), fill, example)];
    });
}

/** The request an example describes, with `fill` substituted. */
export function parseExample(name: ExampleName, fill: Fill): DocRequest {
  const ex: Example = EXAMPLES[name];
  const server = need(fill, 'server', name);
  if (ex.kind === 'url') {
    const joined = ex.text
      .split('\n')
      .map((l) => l.trim())
      .join('');
    const [base = '', query = ''] = joined.replace('https://<EID Server>', server).split('?');
    return { method: 'GET', url: new URL(base), headers: {}, params: query ? pairs(query, fill, name) : [] };
  }
  if (ex.kind === 'curl') {
    const target = /-X POST (\S+)/.exec(ex.text)?.[1] ?? '';
    const headers: Record<string, string> = {};
    for (const m of ex.text.matchAll(/--header "([^:]+):\s*([^"]+)"/g))
      headers[(m[1] as string).toLowerCase()] = basic(m[2] as string, fill, name);
    const params = [...ex.text.matchAll(/--data-urlencode "([^=]+)=([^"]*)"/g)].map(
      (m) => [m[1] as string, value(m[1] as string, m[2] as string, fill, name)] as [string, string],
    );
    // The curl names Asgardeo's token endpoint; the test points it at the provider it runs against.
    const endpoint = fill.token_endpoint ?? target.replace('https://api.asgardeo.io', server);
    return { method: 'POST', url: new URL(endpoint), headers, params };
  }
  // An HTTP message; 001's is flattened onto one line, so split on the header names it uses.
  const text = ex.text.includes('\n')
    ? ex.text
    : ex.text.replace(/ (Host|Content-Type|Cache-Control|Authorization):/g, '\n$1:').replace(/ {3}/, '\n\n');
  const [head = '', body = ''] = text.split(/\n\s*\n/);
  const [requestLine = '', ...headerLines] = head.split('\n');
  const [method, path] = requestLine.split(' ');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = basic(line.slice(colon + 1).trim(), fill, name);
  }
  delete headers.host;
  return { method: method as 'POST', url: new URL(path as string, server), headers, params: pairs(body.replace(/\n/g, ''), fill, name) };
}

/** The names of an example's parameters, in the docs' order. */
export function paramNames(name: ExampleName): string[] {
  return parseExample(name, new Proxy({}, { get: (_t, key) => (key === 'server' ? 'https://eid.example.com' : 'v') })).params.map(
    ([n]) => n,
  );
}
