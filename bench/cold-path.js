// Micro-benchmark of requireToken()'s cold path: app-side CPU per uncached verification
// (tokeninfo + userinfo through the pooled client), with the mock IdP in another process so its
// CPU is not counted. `npm run bench:cold`.
import { execFileSync, fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { requireToken } from 'empowerid-express';
import { DEMO_CLIENT, verifyWith } from './direct.js';

const idp = fork(fileURLToPath(new URL('./idp.js', import.meta.url)), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const { url } = await new Promise((r) => idp.once('message', r));
// With two cores: this process (the guard) on core 0, the IdP on core 1, as in `npm run bench`.
if (cpus().length >= 2) {
  try {
    execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
    execFileSync('taskset', ['-cp', '1', String(idp.pid)], { stdio: 'ignore' });
  } catch {
    console.log('taskset is missing: the guard and the IdP are not pinned');
  }
}
const call = (msg) =>
  new Promise((resolve) => {
    idp.once('message', resolve);
    idp.send({ ...msg, id: 1 });
  });
const N = Number(process.env.BENCH_COLD_N ?? 20_000);
const { tokens } = await call({ type: 'mint', count: N + 2_000 });
const guard = requireToken({ server: url, ...DEMO_CLIENT });
const verify = (token) => verifyWith(guard, token);
async function run(list, concurrency = 20) {
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (i < list.length) await verify(list[i++]);
    }),
  );
}
await run(tokens.slice(0, 2_000)); // JIT, pool, discovery
const before = process.cpuUsage();
const t0 = process.hrtime.bigint();
await run(tokens.slice(2_000));
const cpu = process.cpuUsage(before);
const wall = Number(process.hrtime.bigint() - t0) / 1e6;
console.log(
  `cold verification: ${((cpu.user + cpu.system) / N).toFixed(0)} µs app CPU per request, ${(N / (wall / 1000)).toFixed(0)} verifications/s (${N} tokens, 20 in flight)`,
);
idp.send({ type: 'stop' });
process.exit(0);
