// `npm run bench`: the token guard against a bare route and against the local-JWT peer, measured
// side by side in one run on loopback, bounded in time. Prints a table of req/s, p50, p99 and the
// ratio to the bare route, then the stampede count and the memory per cached entry.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 32);
const here = (f) => fileURLToPath(new URL(f, import.meta.url));

let seq = 0;
function call(child, msg) {
  const id = ++seq;
  return new Promise((resolve) => {
    const on = (reply) => {
      if (reply.id === id) {
        child.off('message', on);
        resolve(reply);
      }
    };
    child.on('message', on);
    child.send({ ...msg, id });
  });
}
const ready = (child) => new Promise((resolve) => child.once('message', resolve));

function load(port, { token, tokens, duration = seconds } = {}) {
  let i = 0;
  const requests = [
    {
      method: 'GET',
      path: '/',
      setupRequest: (req) => {
        const t = tokens ? tokens[i++ % tokens.length] : token;
        return t ? { ...req, headers: { ...req.headers, authorization: `Bearer ${t}` } } : req;
      },
    },
  ];
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration,
    requests,
    ...(tokens && { amount: tokens.length }),
  });
}

const idp = fork(here('./idp.js'), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { url } = await ready(idp);
const apps = fork(here('./apps.js'), [url], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { ports, jwt } = await ready(apps);

const [warmToken] = (await call(idp, { type: 'mint', count: 1 })).tokens;
// Warm-up: JIT, keep-alive pools, discovery and the guard's cache.
for (const [port, token] of [[ports.bare], [ports.noop], [ports.guarded, warmToken], [ports.jwt, jwt]])
  await load(port, { token, duration: 2 });

const cpu = async () => {
  const [a, i] = await Promise.all([call(apps, { type: 'cpu' }), call(idp, { type: 'cpu' })]);
  return { apps: a.cpu.user + a.cpu.system, idp: i.cpu.user + i.cpu.system, self: process.cpuUsage().user + process.cpuUsage().system };
};
const measure = async (name, port, opts) => {
  const before = await cpu();
  const r = await load(port, opts);
  const after = await cpu();
  const us = (k) => (after[k] - before[k]) / r.requests.total;
  if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    cpu: [us('apps'), us('idp'), us('self')],
  };
};

// Every case runs once per round, rounds interleaved, so a slow moment of the machine hits all
// cases alike; the table shows the mean of the rounds.
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const coldTokens = (await call(idp, { type: 'mint', count: Number(process.env.BENCH_COLD_TOKENS ?? 60_000) })).tokens;
let coldOffset = 0;
const cases = [
  ['bare Express route', () => measure('bare', ports.bare, {})],
  ['bare route + a no-op middleware (floor)', () => measure('noop', ports.noop, {})],
  ['requireToken(), warm cache', () => measure('warm', ports.guarded, { token: warmToken })],
  [
    'requireToken(), cold (every token new)',
    async () => {
      const tokens = coldTokens.slice(coldOffset, coldOffset + coldTokens.length / rounds);
      coldOffset += tokens.length;
      return measure('cold', ports.guarded, { tokens });
    },
  ],
  ['express-oauth2-jwt-bearer, local RS256 JWT', () => measure('jwt', ports.jwt, { token: jwt })],
];
const samples = cases.map(() => []);
let coldCounts = { tokeninfo: 0, userinfo: 0 };
for (let round = 0; round < rounds; round += 1) {
  for (const [i, [name, run]] of cases.entries()) {
    if (name.includes('cold')) await call(idp, { type: 'reset' });
    samples[i].push(await run());
    if (name.includes('cold')) {
      const c = (await call(idp, { type: 'counts' })).counts;
      coldCounts = { tokeninfo: coldCounts.tokeninfo + c.tokeninfo, userinfo: coldCounts.userinfo + c.userinfo };
    }
  }
}
const mean = (xs, f) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
const rows = cases.map(([name], i) => ({
  name,
  rps: mean(samples[i], (x) => x.rps),
  p50: mean(samples[i], (x) => x.p50),
  p99: mean(samples[i], (x) => x.p99),
  total: samples[i].reduce((a, x) => a + x.total, 0),
  cpu: [0, 1, 2].map((k) => mean(samples[i], (x) => x.cpu[k])),
}));

const bare = rows[0].rps;
console.log(
  `\n${seconds}s per case, ${connections} connections, Node ${process.version}, ${(await import('node:os')).cpus().length} cores\n`,
);
console.log('| case | req/s | p50 ms | p99 ms | × bare | CPU µs/req: app · IdP · load generator |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${Math.round(r.rps)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${(r.rps / bare).toFixed(2)} | ${r.cpu.map((c) => c.toFixed(0)).join(' · ')} |`,
  );
}
const [, , warm, cold, peerRow] = rows;
console.log(`\nwarm guard vs local-JWT peer: ${(warm.rps / peerRow.rps).toFixed(2)}×`);
console.log(`cold path: ${coldCounts.tokeninfo} tokeninfo and ${coldCounts.userinfo} userinfo calls for ${cold.total} requests`);

// Stampede: 200 concurrent requests with one token the guard has never seen.
const [fresh] = (await call(idp, { type: 'mint', count: 1 })).tokens;
await call(idp, { type: 'reset' });
const answers = await Promise.all(
  Array.from({ length: 200 }, () => fetch(`http://127.0.0.1:${ports.guarded}/`, { headers: { authorization: `Bearer ${fresh}` } })),
);
const counts = (await call(idp, { type: 'counts' })).counts;
console.log(
  `stampede: 200 concurrent requests, ${answers.filter((a) => a.status === 200).length} × 200 OK, ${counts.tokeninfo} tokeninfo + ${counts.userinfo} userinfo calls`,
);

apps.send({ type: 'stop' });
idp.send({ type: 'stop' });

// Memory per cached entry, in a fresh process with --expose-gc.
const memory = fork(here('./memory.js'), [], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
await new Promise((resolve) => memory.on('exit', resolve));
