import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type Browser, chromium, type Page } from 'playwright-core';

// Debian's Chromium, headless and off the network (CI installs it with apt-get; CHROMIUM_PATH for another).
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    // Playwright gives every launch a fresh temporary user-data-dir.
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

export interface RunningApp {
  base: string;
  stop(): void;
}

/** `node example-app/server.js` as `npm start` runs it, with `env` on top; resolves once it says it runs. */
export async function startExampleApp(env: Record<string, string> = {}, port?: number): Promise<RunningApp> {
  port ??= await freePort();
  const base = `http://localhost:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['example-app/server.js'], {
    env: { ...process.env, PORT: String(port), EMPOWERID_BASE_URL: base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the example app did not start: ${out}`)), 15_000);
    child.stdout?.on('data', (d) => {
      out += d;
      if (out.includes('is running on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    child.once('exit', (code) => reject(new Error(`the example app exited ${code}: ${out}`)));
  });
  return { base, stop: () => child.kill('SIGTERM') };
}

/** On the IdP's sign-in page: fill in the form and press the primary button. */
export async function signInAtIdP(page: Page, username: string, password: string): Promise<void> {
  await page.waitForSelector('input[name=username]');
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('button[value=login]');
}
