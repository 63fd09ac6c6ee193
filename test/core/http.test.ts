import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPooledFetch } from '../../src/index.js';
import { BufferedHeaders } from '../../src/core/buffered-response.js';

// The pooled fetch keeps undici's raw header list and reads it on demand; these are the
// Headers behaviours openid-client and the library rely on.
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    // Raw header names in mixed case, a repeated header and two cookies, as a proxy might send them.
    res.writeHead(200, [
      ['Content-Type', 'application/json; charset=utf-8'],
      ['X-Trace', 'first'],
      ['x-TRACE', 'second'],
      ['Set-Cookie', 'a=1; Path=/'],
      ['set-cookie', 'b=2; Path=/'],
      ['WWW-Authenticate', 'Bearer error="invalid_token"'],
    ]);
    res.end(JSON.stringify({ path: req.url, method: req.method }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createPooledFetch(): answer headers', () => {
  it('looks names up case-insensitively, joins repeated values, keeps cookies apart', async () => {
    const fetch = createPooledFetch();
    const res = await fetch(`${base}/a?b=c`, { method: 'POST', body: 'x=1' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('CONTENT-TYPE')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-trace')).toBe('first, second');
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(res.headers.get('x-missing')).toBeNull();
    expect(res.headers.has('X-Trace')).toBe(true);
    expect(res.headers.has('x-tracer')).toBe(false);
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    expect(await res.json()).toEqual({ path: '/a?b=c', method: 'POST' });
  });

  it('iterates lower-case names in order, each once, whatever was looked up before', async () => {
    const fetch = createPooledFetch();
    const res = await fetch(`${base}/`);
    expect(res.headers.get('x-trace')).toBe('first, second');
    const entries = [...(res.headers as unknown as Iterable<[string, string]>)].filter(
      ([name]) => !['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length'].includes(name),
    );
    expect(entries).toEqual([
      ['content-type', 'application/json; charset=utf-8'],
      ['set-cookie', 'a=1; Path=/, b=2; Path=/'],
      ['www-authenticate', 'Bearer error="invalid_token"'],
      ['x-trace', 'first, second'],
    ]);
    // Lookups still work once the list has been turned into a record for iteration.
    expect(res.headers.get('X-TRACE')).toBe('first, second');
    expect(res.headers.getSetCookie()).toHaveLength(2);
  });

  it('calls the same URL again and another path of the same origin (targets are reused, not confused)', async () => {
    const fetch = createPooledFetch();
    for (const path of ['/one', '/two?x=1', '/one', '/two?x=2']) {
      const res = await fetch(`${base}${path}`);
      expect(await res.json()).toEqual({ path, method: 'GET' });
    }
  });
});

describe('BufferedHeaders over a raw list', () => {
  const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

  it('compares names byte by byte, ignoring ASCII case only', () => {
    const h = new BufferedHeaders(raw('Content-Type', 'text/plain', 'X-Ä', 'latin1 name'));
    expect(h.get('content-type')).toBe('text/plain');
    expect(h.get('content-typf')).toBeNull();
    expect(h.get('content-typ')).toBeNull();
    expect(h.get('x-ä')).toBeNull(); // only A–Z fold; a latin1 name matches itself exactly
    expect(h.get('X-Ä')).toBeNull(); // names are looked up lower-cased, as fetch does
  });

  it('answers like a record of the same headers', () => {
    const list = new BufferedHeaders(raw('A', '1', 'b', '2', 'a', '3'));
    const record = new BufferedHeaders({ a: ['1', '3'], b: '2' });
    for (const h of [list, record]) {
      expect(h.get('a')).toBe('1, 3');
      expect(h.get('B')).toBe('2');
      expect([...h.keys()]).toEqual(['a', 'b']);
      expect([...h.entries()]).toEqual([
        ['a', '1, 3'],
        ['b', '2'],
      ]);
    }
  });
});
