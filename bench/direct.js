// Calling a guard directly, without HTTP or Express: shared by the micro-benchmarks.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import express from 'express';

/** The client settings of the mock's demo application. */
export const DEMO_CLIENT = { clientId: 'empowerid-express-example', clientSecret: 'example-secret' };

/** An incoming request as Node hands it to Express: lowercased headers plus rawHeaders. */
export function bearerRequest(token) {
  const headers = {
    host: '127.0.0.1:3000',
    'user-agent': 'bench',
    accept: 'application/json',
    authorization: `Bearer ${token}`,
    connection: 'keep-alive',
  };
  const rawHeaders = [
    'Host',
    headers.host,
    'User-Agent',
    'bench',
    'Accept',
    'application/json',
    'Authorization',
    headers.authorization,
    'Connection',
    'keep-alive',
  ];
  return { method: 'GET', url: '/', path: '/', headers, rawHeaders };
}

/** Enough of a response for the guard's error answers (a benchmark fails on the first anyway). */
export const fakeResponse = {
  statusCode: 200,
  set() {},
  status() {
    return this;
  },
  json() {},
  send() {},
  type() {
    return this;
  },
};

/** Runs the guard once for `token`; resolves when it calls next(), rejects with its error. */
export function verifyWith(guard, token) {
  return new Promise((resolve, reject) => guard(bearerRequest(token), fakeResponse, (err) => (err ? reject(err) : resolve())));
}

const app = express();
const socket = new Socket();

/**
 * The same request as Express hands it to a middleware: a real IncomingMessage whose prototype
 * Express has swapped (app.handle) and to which its router has added its fields. V8 then gives
 * every request a hidden class of its own, so each property the guard reads or adds costs what it
 * costs in a real app; a plain object would flatter the guard by about 3 µs per request.
 */
export function expressRequest(token) {
  const req = new IncomingMessage(socket);
  req.method = 'GET';
  req.url = '/';
  const { rawHeaders } = bearerRequest(token);
  req._addHeaderLines(rawHeaders, rawHeaders.length); // what Node's HTTP parser calls
  req.res = fakeResponse;
  Object.setPrototypeOf(req, app.request);
  req.next = () => {};
  req.baseUrl = '';
  req.originalUrl = '/';
  req.params = {};
  // Node builds req.headers on first read; Express reads it for every answer (res.send's
  // freshness check), so the guard being first here must not bill it for that.
  void req.headers;
  return req;
}
