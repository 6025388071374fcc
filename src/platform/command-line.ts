// Splits a command line into argv the way Ward's allow-lists need it: plain quoting only, anything a shell would
// interpret refused. The gateway matches exec commands with it; the inventory validates allow-list entries with it,
// so an entry saved is an entry the gateway can match.

/** Characters with meaning to a POSIX shell beyond word splitting and plain quoting. */
const SHELL_META = /[;&|<>`$(){}\n\r*?[\]~!#\\]/;

export type ParseResult = { ok: true; argv: string[] } | { ok: false; reason: string };

/**
 * Splits a command line into argv with single and double quotes only. Anything the shell would interpret
 * (metacharacters, expansions, escapes, globs) is refused, so the argv we match is the argv that runs.
 */
export function parseCommand(line: string): ParseResult {
  const argv: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = null;
      else if (quote === '"' && /[$`\\!]/.test(char)) return { ok: false, reason: `shell metacharacter ${JSON.stringify(char)}` };
      else current += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === ' ' || char === '\t') {
      if (inWord) argv.push(current);
      current = '';
      inWord = false;
    } else if (SHELL_META.test(char) || char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f) {
      return { ok: false, reason: `shell metacharacter ${JSON.stringify(char)}` };
    } else {
      current += char;
      inWord = true;
    }
  }
  if (quote) return { ok: false, reason: 'unterminated quote' };
  if (inWord) argv.push(current);
  if (argv.length === 0) return { ok: false, reason: 'empty command' };
  return { ok: true, argv };
}
