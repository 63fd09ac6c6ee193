// Latency of an uncached verification against an IdP 50 ms away (`npm run bench:latency`): the
// mock answers every request after BENCH_IDP_LATENCY_MS (50), so tokeninfo then userinfo cost two
// round trips in series, one with `concurrentUserinfo: true`; a cached verification costs none.
import { requireToken } from 'empowerid-express';
import { startMockEmpowerID } from 'empowerid-express/testing';
import { DEMO_CLIENT, verifyWith } from './direct.js';

const latencyMs = Number(process.env.BENCH_IDP_LATENCY_MS ?? 50);
const idp = await startMockEmpowerID({ latencyMs });
const guards = {
  serial: requireToken({ server: idp.url, ...DEMO_CLIENT, errors: 'next' }),
  concurrent: requireToken({ server: idp.url, ...DEMO_CLIENT, errors: 'next', concurrentUserinfo: true }),
};
const time = async (guard, token) => {
  const t0 = process.hrtime.bigint();
  await verifyWith(guard, token);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cold = { serial: [], concurrent: [] };
const warm = [];
for (const guard of Object.values(guards)) await verifyWith(guard, await idp.issueAccessToken({ username: 'alice' })); // discovery, pool
for (let i = 0; i < 30; i++) {
  // Interleaved, so a slow moment of the machine hits both alike.
  for (const [name, guard] of Object.entries(guards)) {
    const token = await idp.issueAccessToken({ username: 'alice', scope: 'openid orders' });
    cold[name].push(await time(guard, token));
    if (name === 'serial') warm.push(await time(guard, token));
  }
}
idp.resetCounts();
await verifyWith(guards.concurrent, 'a-token-the-idp-never-issued').catch(() => {});
const wasted = idp.counts.userinfo;
console.log(
  `IdP ${latencyMs} ms away, 30 tokens each, medians: uncached, tokeninfo then userinfo ${median(cold.serial).toFixed(1)} ms ` +
    `(min ${Math.min(...cold.serial).toFixed(1)}); uncached with concurrentUserinfo ${median(cold.concurrent).toFixed(1)} ms ` +
    `(min ${Math.min(...cold.concurrent).toFixed(1)}); cached ${median(warm).toFixed(3)} ms. ` +
    `An inactive token with concurrentUserinfo: ${wasted} userinfo call wasted (0 without).`,
);
await idp.close();
process.exit(0);
