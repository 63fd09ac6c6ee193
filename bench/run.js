// `npm run bench`: requireToken() against a bare Express route and its peers, side by side in one
// run. Honest by construction:
// - the app under test runs alone on core 0; the mock IdP and the load generator share core 1
//   (`taskset`), so the app's figures are not flattered by idle cores nor hurt by its own load;
// - every scenario runs in a fresh process, and scenarios are interleaved over several rounds
//   (the order rotates each round), so a slow moment of the machine hits all of them alike;
// - the table prints medians over the rounds with min–max, the ratio to the bare route measured in
//   the same round, and the app's CPU per request.
// Environment: BENCH_SECONDS (5), BENCH_ROUNDS (3), BENCH_CONNECTIONS (50), BENCH_REDIS_URL (adds
// the Redis-tier scenario when set and the `redis` package is installed), BENCH_SCENARIOS (a
// comma-separated subset of the scenario keys).
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Math.max(3, Number(process.env.BENCH_ROUNDS ?? 3));
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const here = (f) => fileURLToPath(new URL(f, import.meta.url));

// Pinning: app on core 0, everything else (this process: the load generator; the IdP) on core 1.
const cores = cpus().length;
let pinned = false;
try {
  execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  pinned = cores >= 2;
} catch {
  pinned = false;
}
if (pinned) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
const node = (core, file, args) =>
  pinned
    ? spawn('taskset', ['-c', String(core), process.execPath, file, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

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
const ready = (child) =>
  new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`child exited with ${code} before it was ready`)));
  });

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
  return autocannon({ url: `http://127.0.0.1:${port}`, connections, duration, requests });
}

const idp = node(1, here('./idp.js'), []);
const { url } = await ready(idp);
const [warmToken] = (await call(idp, { type: 'mint', count: 1 })).tokens;

const scenarios = [
  { key: 'bare', name: 'bare Express route' },
  { key: 'noop', name: 'bare route + an empty pass-through middleware' },
  { key: 'attach', name: 'bare route + a middleware that sets one property on req' },
  { key: 'warm', name: 'requireToken(), warm (every request a cache hit)' },
  { key: 'cold', name: 'requireToken(), cold (a new token every request)' },
  { key: 'floor', name: 'hand-written tokeninfo + userinfo on an undici pool, no cache (reference)' },
  { key: 'jwt', name: 'express-oauth2-jwt-bearer, local RS256 JWT (peer)' },
];
if (process.env.BENCH_REDIS_URL) {
  try {
    await import('redis');
    scenarios.push({ key: 'redis', name: 'requireToken(), warm, with the Redis tier' });
    scenarios.push({ key: 'tierhit', name: 'requireToken(), in-process miss answered by the Redis tier (fresh instance)' });
  } catch {
    console.log('BENCH_REDIS_URL is set but the redis package is not installed: no Redis scenario');
  }
}

// BENCH_SCENARIOS=bare,cold,floor runs only those (the bare route always runs: every ratio needs it).
if (process.env.BENCH_SCENARIOS) {
  const keep = new Set(['bare', ...process.env.BENCH_SCENARIOS.split(',')]);
  for (const s of [...scenarios]) if (!keep.has(s.key)) scenarios.splice(scenarios.indexOf(s), 1);
}

async function runScenario(s) {
  const app = node(0, here('./app.js'), [s.key, url]);
  const info = await ready(app);
  let opts = { token: s.key === 'jwt' ? info.token : s.key === 'warm' || s.key === 'redis' ? warmToken : undefined };
  if (s.key === 'cold' || s.key === 'floor') {
    // Tokens the app has never seen: the warm-up takes its own, the measured run its own. More
    // than the run can use, so no token comes round twice (checked below against tokeninfo calls).
    const tokens = coldPool.splice(0, COLD_PER_ROUND);
    await load(info.port, { tokens: tokens.slice(0, 2_000), duration: 2 });
    opts = { tokens: tokens.slice(2_000) };
  } else if (s.key === 'tierhit') {
    // The warm-up's first pass puts the answers in Redis (tokeninfo); the measured run finds them
    // there (checked below: no tokeninfo call during the run).
    opts = { tokens: tierTokens };
    await load(info.port, { ...opts, duration: 2 });
  } else {
    await load(info.port, { ...opts, duration: 2 }); // JIT, keep-alive pools, discovery, the cache
  }
  const before = await call(app, { type: 'cpu' });
  await call(idp, { type: 'reset' });
  const r = await load(info.port, opts);
  const after = await call(app, { type: 'cpu' });
  const counts = (await call(idp, { type: 'counts' })).counts;
  app.send({ type: 'stop' });
  await new Promise((resolve) => app.once('exit', resolve));
  if (r.non2xx || r.errors) throw new Error(`${s.key}: ${r.non2xx} non-2xx answers, ${r.errors} errors`);
  return {
    rps: r.requests.total / (r.duration || seconds),
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    cpuUs: (after.cpu - before.cpu) / r.requests.total,
    counts,
  };
}

const COLD_PER_ROUND = 2_000 + seconds * 15_000;
const tierTokens = scenarios.some((s) => s.key === 'tierhit') ? (await call(idp, { type: 'mint', count: 2_000 })).tokens : [];
const uncached = scenarios.filter((s) => s.key === 'cold' || s.key === 'floor').length;
const coldPool = (await call(idp, { type: 'mint', count: COLD_PER_ROUND * rounds * uncached })).tokens;

const samples = new Map(scenarios.map((s) => [s.key, []]));
for (let round = 0; round < rounds; round += 1) {
  // Rotate the order so no scenario always runs first (cold caches) or last (a warm machine).
  const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]);
  for (const s of order) samples.get(s.key).push(await runScenario(s));
  process.stdout.write(`round ${round + 1}/${rounds} done\n`);
}

const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
};
const range = (xs, digits) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const bare = samples.get('bare');
console.log(
  `\n${rounds} interleaved rounds × ${seconds} s per scenario, ${connections} connections, Node ${process.version}, ${cores} cores, ` +
    (pinned
      ? 'app pinned to core 0, IdP + load generator to core 1 (taskset)'
      : 'NOT pinned (taskset missing or one core): figures are indicative only'),
);
console.log('\n| scenario | req/s median (min–max) | × bare median (min–max) | p50 / p99 ms | app CPU µs/req |');
console.log('| --- | ---: | ---: | ---: | ---: |');
const ratios = {};
for (const s of scenarios) {
  const xs = samples.get(s.key);
  const r = xs.map((x, i) => x.rps / bare[i].rps);
  ratios[s.key] = median(r);
  console.log(
    `| ${s.name} | ${Math.round(median(xs.map((x) => x.rps)))} (${range(
      xs.map((x) => x.rps),
      0,
    )}) | ${median(r).toFixed(2)} (${range(r, 2)}) | ${median(xs.map((x) => x.p50)).toFixed(1)} / ${median(xs.map((x) => x.p99)).toFixed(1)} | ${median(
      xs.map((x) => x.cpuUs),
    ).toFixed(1)} |`,
  );
}
const cold = samples.get('cold') ?? [];
const calls = cold.reduce((a, x) => ({ t: a.t + (x.counts.tokeninfo ?? 0), u: a.u + (x.counts.userinfo ?? 0), n: a.n + x.total }), {
  t: 0,
  u: 0,
  n: 0,
});
if (cold.length)
  console.log(
    `\ncold path: ${calls.t} tokeninfo and ${calls.u} userinfo calls for ${calls.n} requests${calls.t < calls.n ? ' (some tokens came round twice: raise the pool)' : ''}`,
  );
if (ratios.warm && ratios.jwt) console.log(`warm guard vs local-JWT peer: ${(ratios.warm / ratios.jwt).toFixed(2)}×`);
if (ratios.cold && ratios.floor)
  console.log(`cold guard vs the hand-written pooled reference: ${(ratios.cold / ratios.floor).toFixed(2)}×`);
if (samples.has('redis'))
  console.log(`warm with the Redis tier vs warm in-memory: ${(ratios.redis / ratios.warm).toFixed(3)}× (target ≥ 0.95)`);
if (samples.has('tierhit')) {
  const hit = samples.get('tierhit');
  const p50 = (xs) => median(xs.map((x) => x.p50)).toFixed(1);
  const tokeninfo = hit.reduce((a, x) => a + (x.counts.tokeninfo ?? 0), 0);
  console.log(
    `Redis-tier hit vs tokeninfo call: p50 ${p50(hit)} ms vs ${p50(cold)} ms, ${(ratios.tierhit / ratios.cold).toFixed(2)}× the cold req/s; ${tokeninfo} tokeninfo calls during the tier-hit runs`,
  );
}

// Stampede: 200 concurrent requests with one token a fresh guard has never seen.
const app = node(0, here('./app.js'), ['warm', url]);
const { port } = await ready(app);
const [fresh] = (await call(idp, { type: 'mint', count: 1 })).tokens;
await call(idp, { type: 'reset' });
const answers = await Promise.all(
  Array.from({ length: 200 }, () => fetch(`http://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${fresh}` } })),
);
const counts = (await call(idp, { type: 'counts' })).counts;
console.log(
  `stampede: 200 concurrent requests, ${answers.filter((a) => a.status === 200).length} × 200 OK, ${counts.tokeninfo} tokeninfo + ${counts.userinfo} userinfo calls`,
);
app.send({ type: 'stop' });
idp.send({ type: 'stop' });

// Memory per cached entry, in a fresh process with --expose-gc.
const memory = spawn(process.execPath, ['--expose-gc', here('./memory.js')], { stdio: ['ignore', 'inherit', 'inherit'] });
await new Promise((resolve) => memory.on('exit', resolve));
