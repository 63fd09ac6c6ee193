/* global document -- inside page.waitForFunction, which runs in the browser */
// `npm run screenshots`: regenerates docs/*.png from the running example app, signed in as alice
// against the embedded mock, in Debian's Chromium (CHROMIUM_PATH to use another).
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const root = new URL('..', import.meta.url).pathname;
const docs = join(root, 'docs');

async function freePort() {
  const probe = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => probe.once('listening', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

const port = await freePort();
const base = `http://localhost:${port}`;
const app = spawn(process.execPath, [join(root, 'example-app/server.js')], {
  env: { ...process.env, PORT: String(port), NODE_NO_WARNINGS: '1' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
await new Promise((resolve, reject) => {
  let out = '';
  app.stdout.on('data', (d) => {
    out += d;
    if (out.includes('is running on')) resolve();
  });
  app.once('exit', (code) => reject(new Error(`the example app exited with ${code}`)));
});

const userDataDir = await mkdtemp(join(tmpdir(), 'eid-shots-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
  viewport: { width: 1200, height: 800 },
  colorScheme: 'light',
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const shot = (name) => page.screenshot({ path: join(docs, `${name}.png`), fullPage: true });
  await page.goto(base);
  await shot('home');
  await page.click('#login');
  await page.waitForSelector('#username');
  await shot('idp-sign-in');
  await page.fill('#username', 'alice');
  await page.fill('#password', 'alice-password');
  await page.click('button[value=login]');
  await page.waitForURL(`${base}/profile`);
  await shot('profile');
  await page.goto(`${base}/tokens`);
  await page.waitForFunction(() => /\d+:\d\d/.test(document.getElementById('expires-in')?.textContent ?? ''));
  await page.click('#refresh-now');
  await page.waitForFunction(() => document.getElementById('renewal-count')?.textContent === '1');
  await shot('tokens');
  await page.goto(`${base}/api`);
  await page.click('#call-me [data-call]');
  await page.waitForSelector('#call-me .status');
  await page.click('#call-admin [data-call]');
  await page.waitForSelector('#call-admin .status');
  await shot('api');
  console.log(`screenshots written to ${docs}`);
} finally {
  await context.close();
  await rm(userDataDir, { recursive: true, force: true });
  app.kill('SIGTERM');
}
