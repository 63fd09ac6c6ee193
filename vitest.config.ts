import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Process warnings are collected by test/helpers/warnings.ts and asserted where provoked.
    execArgv: ['--no-warnings'],
    setupFiles: ['test/helpers/warnings.ts'],
    // oidc-provider's development notices (quick-start adapter, default policies, Node version)
    // are about running it in production; the interop harness uses it as a test double.
    onConsoleLog: (log) => !log.startsWith('oidc-provider '),
  },
});
