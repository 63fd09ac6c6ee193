#!/usr/bin/env node
/** `empowerid-mock`: starts the mock EmpowerID until Ctrl+C. See `empowerid-mock --help`. */
import { createRequire } from 'node:module';
import { main } from './cli.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };
const status = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  version,
  onStop: (stop) => {
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  },
});
process.exitCode = status;
