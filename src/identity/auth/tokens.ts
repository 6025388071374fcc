// Opaque bearer credentials: sessions (`wss_`) and API tokens (`wat_`), stored only as SHA-256 hashes.
import { createHash } from 'node:crypto';
import { randomToken } from '../../platform/ids.js';

export const SESSION_PREFIX = 'wss_';
export const API_TOKEN_PREFIX = 'wat_';
export const CHALLENGE_PREFIX = 'wch_';

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newBearer(prefix: string): { token: string; hash: string } {
  const token = `${prefix}${randomToken(32)}`;
  return { token, hash: hashToken(token) };
}
