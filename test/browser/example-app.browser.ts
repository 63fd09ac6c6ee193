import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `npm run test:browser`: a person's click-through of `npm start` in Debian's Chromium
// (CI installs it with apt-get; locally: apt-get install chromium, or set CHROMIUM_PATH).

let child: ChildProcess;
let base: string;

beforeAll(async () => {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  probe.close();
  base = `http://localhost:${port}`;
  child = spawn(process.execPath, ['example-app/server.js'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('example app on')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`example app exited ${code}`)));
  });
}, 20_000);

afterAll(() => {
  child?.kill('SIGTERM');
});

describe('the example app in Chromium', () => {
  it('Log in → EmpowerID login form → profile → Log out', async () => {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      await page.click('#login');
      await page.waitForSelector('input[name=username]');
      expect(await page.title()).toContain('EmpowerID');
      await page.fill('#username', 'alice');
      await page.fill('#password', 'alice-password');
      await page.click('button[value=login]');
      await page.waitForURL(`${base}/profile`);
      expect(await page.textContent('#username')).toBe('alice');
      await page.screenshot({ path: 'test/browser/profile.png' });
      await page.click('#logout');
      await page.waitForSelector('#login');
      expect(page.url().startsWith(`${base}/`)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 30_000);
});
