// Micro-benchmark of requireToken()'s warm path: the guard called directly, in-process, with a
// token already in its cache. Prints ns per hit and bytes allocated per hit (approximate, from
// heap growth with GC off between samples). `npm run bench:hit`.
import { requireToken } from 'empowerid-express';
import { startMockEmpowerID } from 'empowerid-express/testing';
import { DEMO_CLIENT, bearerRequest, fakeResponse, verifyWith } from './direct.js';

const idp = await startMockEmpowerID();
const guard = requireToken({ server: idp.url, ...DEMO_CLIENT });
const token = await idp.issueAccessToken({ username: 'alice', scope: 'openid orders' });

const request = () => bearerRequest(token);
const res = fakeResponse;

// Warm the cache through the normal path.
await verifyWith(guard, token);

let sink = 0;
const next = (err) => {
  if (err) throw err;
  sink++;
};
function run(n) {
  const reqs = Array.from({ length: n }, request);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) guard(reqs[i], res, next);
  return Number(process.hrtime.bigint() - start) / n;
}
for (let i = 0; i < 5; i++) run(20_000); // JIT
const samples = [];
for (let i = 0; i < 15; i++) samples.push(run(50_000));
samples.sort((a, b) => a - b);
const median = samples[Math.floor(samples.length / 2)];

// Allocation per hit: heap growth over a batch with the requests prebuilt.
const reqs = Array.from({ length: 100_000 }, request);
globalThis.gc?.();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < reqs.length; i++) guard(reqs[i], res, next);
const after = process.memoryUsage().heapUsed;
console.log(
  `warm hit: ${median.toFixed(0)} ns median (min ${samples[0].toFixed(0)}, max ${samples.at(-1).toFixed(0)}) over 15 × 50,000 calls`,
);
console.log(
  `allocated: ~${Math.max(0, (after - before) / reqs.length).toFixed(0)} B per hit${globalThis.gc ? '' : ' (run with --expose-gc for a cleaner figure)'}`,
);
if (sink === 0) throw new Error('the guard never called next()');
await idp.close();
process.exit(0);
