#!/usr/bin/env node
/**
 * `empowerid-token <command> [options]`: tokens from EmpowerID on the command line.
 * See `empowerid-token --help`, or docs/client-and-cli.md.
 */
import { readFileSync } from 'node:fs';
import { runCli } from './run.js';

const status = await runCli(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => readFileSync(path, 'utf8'),
});
// Exit once the output is flushed, without waiting for pooled keep-alive connections to idle out.
process.stdout.write('', () => process.stderr.write('', () => process.exit(status)));
