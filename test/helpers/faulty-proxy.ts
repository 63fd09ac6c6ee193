import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A faulty network between the library and an IdP: an HTTP proxy in front of the mock that can
 * break chosen endpoints the way real networks do. The discovery document is rewritten so every
 * endpoint goes through the proxy.
 *
 * - `reset`: the connection is destroyed before any answer;
 * - `drop`: the status line and headers arrive, then the connection dies;
 * - `truncate`: half the body arrives (with the full Content-Length), then the connection dies;
 * - `trickle`: the answer arrives one byte every `trickleMs`, far slower than any timeout.
 */
export type Fault = 'reset' | 'drop' | 'truncate' | 'trickle';

export interface FaultyProxy {
  readonly url: string;
  /** Breaks every request whose path ends with `pathSuffix` (e.g. `/oauth/v2/token`). */
  fault(pathSuffix: string, fault: Fault): void;
  heal(): void;
  /** Stops listening: every new connection is refused. */
  refuse(): Promise<void>;
  close(): Promise<void>;
}

export async function startFaultyProxy(target: string, options: { trickleMs?: number } = {}): Promise<FaultyProxy> {
  const faults = new Map<string, Fault>();
  const sockets = new Set<Socket>();
  const trickleMs = options.trickleMs ?? 200;
  let self = '';
  const server: Server = createServer((req, res) => {
    void forward(req, res).catch(() => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] as string;
    const fault = [...faults].find(([suffix]) => path.endsWith(suffix))?.[1];
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (typeof v === 'string' && !['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive'].includes(k)) headers[k] = v;
    const upstream = await fetch(target + (req.url ?? '/'), {
      method: req.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(chunks.length && { body: Buffer.concat(chunks) }),
    });
    let body = Buffer.from(await upstream.arrayBuffer());
    if (path.endsWith('/openid-configuration')) body = Buffer.from(body.toString('utf8').split(target).join(self));
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'content-encoding' && k !== 'set-cookie')
        out[k] = v;
    });
    const cookies = upstream.headers.getSetCookie();
    res.writeHead(upstream.status, { ...out, ...(cookies.length && { 'set-cookie': cookies }), 'content-length': String(body.length) });
    if (fault === 'drop') {
      res.flushHeaders();
      setTimeout(() => req.socket.destroy(), 10);
      return;
    }
    if (fault === 'truncate') {
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => req.socket.destroy(), 10));
      return;
    }
    if (fault === 'trickle') {
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed || i >= body.length) {
          clearInterval(timer);
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body.subarray(i, i + 1));
        i += 1;
      }, trickleMs);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(body);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  self = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) resolve();
      else server.close(() => resolve());
    });
  return {
    url: self,
    fault: (suffix, f) => faults.set(suffix, f),
    heal: () => faults.clear(),
    refuse: stop,
    close: stop,
  };
}
