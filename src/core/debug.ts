import { debuglog } from 'node:util';

const base = debuglog('empowerid');

/**
 * Debug lines under one namespace: enable with `NODE_DEBUG=empowerid`. Node's own switch, so the
 * library reads no environment itself. Never pass a token or secret to these lines.
 */
export function debug(scope: string): (format: string, ...args: unknown[]) => void {
  return (format, ...args) => {
    if (base.enabled) base(`[${scope}] ${format}`, ...args);
  };
}
