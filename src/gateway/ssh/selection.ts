// Target selection carried in the SSH login name, so the plain OpenSSH client and ~/.ssh/config work unchanged:
// `alice+ehr-db-01` (the target's default account) or `alice+root@ehr-db-01` (a named account).
import type { TargetSelection } from './types.js';

const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function parseSelection(login: string): TargetSelection | null {
  const plus = login.indexOf('+');
  if (plus <= 0) return null;
  const username = login.slice(0, plus);
  const rest = login.slice(plus + 1);
  const at = rest.lastIndexOf('@');
  const account = at >= 0 ? rest.slice(0, at) : undefined;
  const target = at >= 0 ? rest.slice(at + 1) : rest;
  if (!NAME.test(username) || !NAME.test(target)) return null;
  if (account !== undefined && !NAME.test(account)) return null;
  return { username, target, account };
}
