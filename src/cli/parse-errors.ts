import { closest } from '../core/did-you-mean.js';

/**
 * Node's `parseArgs` errors, in the CLI's own words: the flag as the user typed it, what is wrong,
 * and the nearest flag for a typo. Node's text ("To specify a positional argument starting with a
 * '-', place it at the end…") answers a question nobody asked.
 */
export function usageText(err: unknown, flags: Readonly<Record<string, { type: string; value?: string }>>): string {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const flag = /Option '(-{1,2}[^' ]+)/.exec(message)?.[1] ?? /option '(-{1,2}[^' ]+)'/i.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
    const suggestion = flag.startsWith('--') ? closest(flag.slice(2).split('=')[0] as string, Object.keys(flags)) : undefined;
    return `unknown option ${flag}${suggestion ? ` (did you mean --${suggestion}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    const name = flag.replace(/^-+/, '');
    const spec = flags[name];
    if (spec?.type === 'boolean') return `${flag} takes no value`;
    return `${flag} needs a value (${flag} <${spec?.value ?? 'value'}>)`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return 'unexpected argument';
  return 'the command line could not be read';
}
