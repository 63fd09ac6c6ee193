import { afterAll, expect } from 'vitest';

// Every test file runs with --no-warnings (vitest.config.ts), so the library's process warnings
// are collected here instead of printed. A test that provokes one asserts it with
// takeWarnings(); warnings that are not this library's (deprecations, leaks) are still printed
// at the end of the file, so nothing unexpected goes unseen.

export interface SeenWarning {
  code: string | undefined;
  message: string;
}

const seen: SeenWarning[] = [];
process.on('warning', (w: Error & { code?: string }) => {
  seen.push({ code: w.code, message: w.message });
});

/** Warnings seen so far (optionally of one code), removed from the record. */
export function takeWarnings(code?: string): SeenWarning[] {
  const taken: SeenWarning[] = [];
  for (let i = seen.length - 1; i >= 0; i--) {
    const w = seen[i] as SeenWarning;
    if (code === undefined || w.code === code) {
      taken.unshift(w);
      seen.splice(i, 1);
    }
  }
  return taken;
}

/** Asserts that exactly one warning with `code` and exactly `message` was emitted, and consumes it. */
export function expectOneWarning(code: string, message: string): void {
  expect(takeWarnings(code).map((w) => w.message)).toEqual([message]);
}

afterAll(() => {
  for (const w of seen) {
    if (w.code?.startsWith('EMPOWERID_')) continue;
    process.stderr.write(`warning ${w.code ?? ''}: ${w.message}\n`);
  }
});
