// Resident memory per cached entry of the token guard's cache. The network is faked with a fetch
// that answers tokeninfo and userinfo locally, so the cached values are exactly what the real
// parsing path produces; 2,000 distinct users share the tokens, as in a busy API.
import { createClient, TokenVerifier } from 'empowerid-express';

const roles = [
  'Any Role in Anywhere',
  'Standard Employee in Anywhere',
  'All Employee Roles in Anywhere',
  'All Business Roles in Default Organization',
];
const server = 'https://eid.example.com';
const fakeFetch = async (url, init) => {
  const body = new URLSearchParams(String(init.body));
  const token = body.get('token') ?? body.get('access_token');
  const user = `user${Number(token.split('-')[1]) % 2000}`;
  const now = Math.floor(Date.now() / 1000);
  const json = String(url).endsWith('/tokeninfo')
    ? {
        active: true,
        client_id: 'api-client',
        username: user,
        scope: 'openid orders',
        exp: now + 3600,
        iat: now,
        nbf: now,
        sub: user,
        iss: 'EmpowerID',
      }
    : {
        id: `guid-${user}`,
        username: user,
        first_name: 'First',
        last_name: 'Last',
        email: `${user}@example.com`,
        organization: 'Hosting Organization',
        business_role_locations: roles,
      };
  return new Response(JSON.stringify(json), { headers: { 'content-type': 'application/json' } });
};
const client = createClient({
  server,
  clientId: 'api-client',
  clientSecret: 's',
  discovery: false,
  issuer: 'EmpowerID',
  endpoints: { jwks: `${server}/jwks` },
  fetch: fakeFetch,
});
const counts = [100_000, 200_000];
const verifier = new TokenVerifier(client, { cacheMaxEntries: Math.max(...counts) });

// Responses register finalizers and timers; give them event-loop turns between collections, so
// what is measured is what the cache keeps, not requests that have just finished.
const settle = async () => {
  for (let i = 0; i < 20; i += 1) {
    global.gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return process.memoryUsage();
};
const base = await settle();
let n = 0;
let previous;
for (const target of counts) {
  while (n < target) {
    const batch = [];
    for (let i = 0; i < 1000 && n < target; i += 1, n += 1) batch.push(verifier.verify(`token-${n}-${'x'.repeat(40)}`));
    await Promise.all(batch);
  }
  const m = await settle();
  console.log(
    `memory: ${target.toLocaleString('en')} cached entries: ${Math.round((m.rss - base.rss) / target)} B RSS, ${Math.round((m.heapUsed - base.heapUsed) / target)} B heap per entry (entries=${verifier.stats().entries})`,
  );
  if (previous) {
    const k = target - previous.target;
    console.log(
      `memory: marginal cost of entries ${previous.target.toLocaleString('en')}→${target.toLocaleString('en')}: ${Math.round((m.rss - previous.m.rss) / k)} B RSS, ${Math.round((m.heapUsed - previous.m.heapUsed) / k)} B heap per entry`,
    );
  }
  previous = { target, m };
}
