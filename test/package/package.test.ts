import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { EmpowerIDError, EmpowerIDErrorCode, EmpowerIDRequestContext } from '../../src/index.js';

const run = promisify(execFile);

// `npm test` builds first (pretest), so dist/ is the package a user installs.
describe('the published package', () => {
  it('a consumer type-checks against the built .d.ts files through the exports map', async () => {
    const tsc = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/fixtures/consumer/tsconfig.json']).catch(
      (err: { stdout: string }) => err,
    );
    expect(tsc.stdout).toBe('');
  }, 60_000);

  it('can be imported and required on Node 20', async () => {
    const esm = await run(process.execPath, [
      '--input-type=module',
      '-e',
      "const m = await import('empowerid-express'); const t = await import('empowerid-express/testing'); console.log(typeof m.empowerid, typeof m.requireToken, typeof m.createClient, typeof t.startMockEmpowerID)",
    ]);
    expect(esm.stdout.trim()).toBe('function function function function');
    const cjs = await run(process.execPath, [
      '-e',
      "const m = require('empowerid-express'); console.log(typeof m.empowerid, typeof m.requiresAuth)",
    ]);
    expect(cjs.stdout.trim()).toBe('function function');
  });

  it('the main entry loads and works without redis installed: only empowerid-express/redis is about Redis', async () => {
    // A resolve hook that makes `redis` (and connect-redis) impossible to load, as if not installed.
    const hook = `data:text/javascript,${encodeURIComponent(
      'export async function resolve(s, c, next) { if (s === "redis" || s.startsWith("@redis/") || s === "connect-redis") throw new Error("loaded " + s); return next(s, c); }',
    )}`;
    const out = await run(process.execPath, [
      '--input-type=module',
      '-e',
      `import { register } from 'node:module'; register(${JSON.stringify(hook)});
       const m = await import('empowerid-express');
       const shared = m.memoryShared({ secret: 'a secret of at least thirty-two characters' });
       const sealed = await shared.sealer.seal({ refresh_token: 'rt' });
       const r = await import('empowerid-express/redis');
       console.log(typeof m.empowerid, (await shared.sealer.open(sealed)).refresh_token, typeof r.redisShared, sealed.includes('rt'));`,
    ]);
    expect(out.stdout.trim()).toBe('function rt function false');
  });

  it('types: req.empowerid by declaration merging, error codes as a union', () => {
    expectTypeOf<Express.Request['empowerid']>().toEqualTypeOf<EmpowerIDRequestContext>();
    expectTypeOf<EmpowerIDError['code']>().toEqualTypeOf<EmpowerIDErrorCode>();
    expectTypeOf<'ERR_STATE_MISMATCH'>().toMatchTypeOf<EmpowerIDErrorCode>();
  });
});
