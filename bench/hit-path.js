// Micro-benchmark of requireToken()'s warm path: the guard called directly, in-process, with a
// token already in its cache. Prints ns per hit and bytes allocated per hit (approximate, from
// heap growth with GC off between samples), for two request shapes: the request as Express hands
// it to a middleware (what a real app pays), and a plain object (the guard's own work alone).
// `npm run bench:hit`.
import { requireToken } from 'empowerid-express';
import { startMockEmpowerID } from 'empowerid-express/testing';
import { DEMO_CLIENT, bearerRequest, expressRequest, fakeResponse, verifyWith } from './direct.js';

const idp = await startMockEmpowerID();
const guard = requireToken({ server: idp.url, ...DEMO_CLIENT });
const token = await idp.issueAccessToken({ username: 'alice', scope: 'openid orders' });
const res = fakeResponse;

// Warm the cache through the normal path.
await verifyWith(guard, token);

let sink = 0;
const next = (err) => {
  if (err) throw err;
  sink++;
};
// The requests are built before the clock starts: only the guard is timed.
function run(request, n) {
  const reqs = Array.from({ length: n }, request);
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) guard(reqs[i], res, next);
  return Number(process.hrtime.bigint() - start) / n;
}

const shapes = [
  ['Express request', () => expressRequest(token)],
  ['plain object', () => bearerRequest(token)],
];
for (const [, request] of shapes) for (let i = 0; i < 5; i++) run(request, 20_000); // JIT
const samples = new Map(shapes.map(([name]) => [name, []]));
// Interleaved, so a slow moment of the machine hits both shapes alike.
for (let i = 0; i < 15; i++) for (const [name, request] of shapes) samples.get(name).push(run(request, 50_000));

for (const [name, request] of shapes) {
  const xs = samples.get(name).sort((a, b) => a - b);
  // Allocation per hit: heap growth over a batch with the requests prebuilt.
  const reqs = Array.from({ length: 100_000 }, request);
  globalThis.gc?.();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < reqs.length; i++) guard(reqs[i], res, next);
  const after = process.memoryUsage().heapUsed;
  console.log(
    `warm hit, ${name}: ${xs[7].toFixed(0)} ns median (min ${xs[0].toFixed(0)}, max ${xs[14].toFixed(0)}) over 15 × 50,000 calls; ` +
      `~${Math.max(0, (after - before) / reqs.length).toFixed(0)} B allocated per hit${globalThis.gc ? '' : ' (run with --expose-gc for a cleaner figure)'}`,
  );
}
if (sink === 0) throw new Error('the guard never called next()');
await idp.close();
process.exit(0);
