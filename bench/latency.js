// Latency of an uncached verification against an IdP 50 ms away (`npm run bench:latency`): the
// mock answers every request after BENCH_IDP_LATENCY_MS (50), so tokeninfo then userinfo cost two
// round trips in series; a cached verification costs none.
import { requireToken } from 'empowerid-express';
import { startMockEmpowerID } from 'empowerid-express/testing';
import { DEMO_CLIENT, verifyWith } from './direct.js';

const latencyMs = Number(process.env.BENCH_IDP_LATENCY_MS ?? 50);
const idp = await startMockEmpowerID({ latencyMs });
const guard = requireToken({ server: idp.url, ...DEMO_CLIENT });
const verify = (token) => verifyWith(guard, token);
const time = async (token) => {
  const t0 = process.hrtime.bigint();
  await verify(token);
  return Number(process.hrtime.bigint() - t0) / 1e6;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
await verify(await idp.issueAccessToken({ username: 'alice' })); // discovery, pool
const cold = [];
const warm = [];
for (let i = 0; i < 30; i++) {
  const token = await idp.issueAccessToken({ username: 'alice', scope: 'openid orders' });
  cold.push(await time(token));
  warm.push(await time(token));
}
console.log(
  `IdP ${latencyMs} ms away: uncached verification (tokeninfo, then userinfo) median ${median(cold).toFixed(1)} ms ` +
    `(min ${Math.min(...cold).toFixed(1)}); cached ${median(warm).toFixed(3)} ms; 30 tokens`,
);
await idp.close();
process.exit(0);
