import { createRequire } from 'node:module';

/** This package's version, from its package.json (two levels up from src/cli and dist/cli alike). */
export function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}
