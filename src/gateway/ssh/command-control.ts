// Command control inside SSH sessions. Allow-mode parses exec commands to argv and matches them exactly, so a
// command either is on the list or does not run. Deny-mode is a guardrail over interactive typing: it rebuilds
// each line from keystrokes and blocks risky shapes; docs/gateway-ssh.md states what it cannot see.

import { parseCommand } from '../../platform/command-line.js';

export { parseCommand, type ParseResult } from '../../platform/command-line.js';

export type ControlDecision = { allowed: true } | { allowed: false; reason: string };

/** Allow-mode: the exec command must parse cleanly and equal one allowed argv exactly. */
export function checkAllowList(command: string, allowed: string[][]): ControlDecision {
  const parsed = parseCommand(command);
  if (!parsed.ok) return { allowed: false, reason: `command refused: ${parsed.reason}` };
  const match = allowed.some(
    (entry) => entry.length === parsed.argv.length && entry.every((word, i) => word === parsed.argv[i]),
  );
  return match ? { allowed: true } : { allowed: false, reason: `command not on the allow-list: ${parsed.argv.join(' ')}` };
}

const DENY_RULES: { pattern: RegExp; reason: string }[] = [
  { pattern: /base64\s+(-d|--decode|-D)\b[^\n]*\|\s*(ba|z|da|k)?sh\b/, reason: 'decoded payload piped to a shell' },
  { pattern: /\$\(/, reason: 'command substitution $(…)' },
  { pattern: /`/, reason: 'command substitution with backticks' },
  { pattern: /&&|\|\|/, reason: 'chained commands (&& or ||)' },
  { pattern: /;/, reason: 'command separator ;' },
  { pattern: /\|/, reason: 'pipe |' },
  { pattern: /\$'|\\x[0-9a-fA-F]{2}|\\[0-7]{3}/, reason: 'escaped characters hide the command' },
  { pattern: /(^|\s)(eval|source|\.)\s/, reason: 'eval/source runs a hidden command' },
];

/** Deny-mode check of one complete line as the user submitted it. */
export function checkDeniedLine(line: string): ControlDecision {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  if (/[\x00-\x08\x0b-\x1f\x7f]/.test(line)) {
    return { allowed: false, reason: 'control or escape sequences in the line (history, cursor editing) cannot be verified' };
  }
  for (const rule of DENY_RULES) {
    if (rule.pattern.test(line)) return { allowed: false, reason: rule.reason };
  }
  return { allowed: true };
}

export interface LineGuardResult {
  /** Bytes to forward to the target now. */
  forward: Buffer;
  /** Set when a line was blocked: its text and why (the line was cancelled on the target with Ctrl-U). */
  blocked?: { line: string; reason: string };
}

/**
 * Rebuilds typed lines from an interactive input stream. Printable keys and backspace edit the line; Enter
 * submits it for checking. A chunk that holds Enter and more than `pasteBurstChars` characters is a paste burst.
 */
export function createLineGuard(options: { pasteBurstChars?: number | undefined } = {}) {
  const pasteBurstChars = options.pasteBurstChars ?? 256;
  let line = '';
  return {
    feed(data: Buffer): LineGuardResult {
      const text = data.toString('latin1');
      let forwardFrom = 0;
      const out: Buffer[] = [];
      for (let i = 0; i < text.length; i++) {
        const char = text[i]!;
        if (char === '\r' || char === '\n') {
          let decision = checkDeniedLine(line);
          if (decision.allowed && text.length > pasteBurstChars) {
            decision = { allowed: false, reason: `paste burst (${text.length} characters with Enter in one write)` };
          }
          const submitted = line;
          line = '';
          if (!decision.allowed) {
            out.push(data.subarray(forwardFrom, i));
            // Ctrl-U clears what the target's line editor holds; nothing after the blocked line is forwarded.
            out.push(Buffer.from([0x15]));
            return { forward: Buffer.concat(out), blocked: { line: printable(submitted), reason: decision.reason } };
          }
        } else if (char === '\x7f' || char === '\b') {
          line = line.slice(0, -1);
        } else if (char === '\x03' || char === '\x15') {
          line = '';
        } else {
          line += char;
        }
      }
      out.push(data.subarray(forwardFrom));
      forwardFrom = data.length;
      return { forward: out.length === 1 ? out[0]! : Buffer.concat(out) };
    },
  };
}

function printable(line: string): string {
  // eslint-disable-next-line no-control-regex -- shown as ^X so an alert cannot carry terminal escapes
  return line.replace(/[\x00-\x1f\x7f]/g, (c) => `^${String.fromCharCode(c.charCodeAt(0) ^ 0x40)}`).slice(0, 200);
}
