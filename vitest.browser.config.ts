import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/browser/**/*.browser.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Quiet like `npm test`: warnings are collected by test/helpers/warnings.ts (and any warning
    // that is not one of the library's own is still printed), oidc-provider's notices dropped.
    execArgv: ['--no-warnings'],
    setupFiles: ['test/helpers/warnings.ts'],
    onConsoleLog: (log) => !log.startsWith('oidc-provider '),
  },
});
