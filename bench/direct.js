// Calling a guard directly, without HTTP or Express: shared by the micro-benchmarks.

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
