import { debuglog } from 'node:util';
import createDebug from 'debug';

/** The namespace prefix: `DEBUG=empowerid-express:*`, next to `express:*` and `express-session`. */
export const DEBUG_NAMESPACE = 'empowerid-express';

const nodeDebug = debuglog('empowerid');
// A JWT (three base64url parts) or a long opaque value that looks like a bearer token: a last line
// of defence so a mistaken argument never writes a credential into a log.
const CREDENTIAL = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*|\b[A-Za-z0-9_-]{40,}\b/g;

function scrub(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(CREDENTIAL, '[redacted]') : value;
}

/**
 * Debug lines under `empowerid-express:<scope>`, switched on the way Express's own are
 * (`DEBUG=empowerid-express:*`); `NODE_DEBUG=empowerid` keeps working. The `debug` package reads
 * the environment, not this library. One line per decision; never pass a token or secret.
 */
export function debug(scope: string): (format: string, ...args: unknown[]) => void {
  const line = createDebug(`${DEBUG_NAMESPACE}:${scope}`);
  // `arguments` rather than a rest parameter: the guard logs on every request, and a disabled line
  // must not allocate an argument array first.
  return function log(format: string): void {
    if (!line.enabled && !nodeDebug.enabled) return;
    // eslint-disable-next-line prefer-rest-params -- see above
    const safe = Array.prototype.slice.call(arguments, 1).map(scrub);
    if (line.enabled) line(format, ...safe);
    if (nodeDebug.enabled) nodeDebug(`[${scope}] ${format}`, ...safe);
  } as (format: string, ...args: unknown[]) => void;
}
