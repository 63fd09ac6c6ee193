import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/**
 * Sends bytes exactly as given (repeated headers, raw UTF-8, bare CR) and reads the answer until the
 * server closes. Supertest and fetch normalise headers, so attacks on the wire format need this.
 */
export function rawRequest(port: number, head: string[], body: Buffer | string = ''): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    // A server that answers early (413) and closes may reset the connection while the body is still
    // being sent; the answer read so far is what counts.
    socket.on('error', (err) => {
      if (chunks.length === 0) reject(err);
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, end === -1 ? text.length : end).split('\r\n');
      const headers: Record<string, string[]> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim().toLowerCase();
        (headers[name] ??= []).push(line.slice(i + 1).trim());
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: end === -1 ? '' : text.slice(end + 4) });
    });
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const lines = [...head, 'Host: 127.0.0.1', 'Connection: close'];
    if (payload.length) lines.push(`Content-Length: ${payload.length}`);
    socket.write(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), payload]));
  });
}
