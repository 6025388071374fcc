// A small client for Ward's /api/v1 used by the user-facing commands. The token comes from WARD_TOKEN
// or from the file `ward login` writes (~/.config/ward/session.json, mode 0600).
import { readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { WardConfig } from '../platform/config.js';
import { WardError, errorCodes, type ErrorCode } from '../platform/errors.js';

export interface SavedSession {
  url: string;
  token: string;
}

export interface ApiClient {
  readonly baseUrl: string;
  request<T = unknown>(method: string, path: string, body?: unknown, options?: { token?: string | null }): Promise<T>;
  /** Streams a response body (exports, tails). */
  stream(path: string): Promise<ReadableStream<Uint8Array>>;
}

export function sessionFile(env: Record<string, string | undefined> = process.env): string {
  return env.WARD_SESSION_FILE ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'ward', 'session.json');
}

export function saveSession(session: SavedSession, env: Record<string, string | undefined> = process.env): void {
  const file = sessionFile(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(session), { mode: 0o600 });
}

export function clearSession(env: Record<string, string | undefined> = process.env): void {
  rmSync(sessionFile(env), { force: true });
}

function loadSession(env: Record<string, string | undefined>): SavedSession | undefined {
  try {
    return JSON.parse(readFileSync(sessionFile(env), 'utf8')) as SavedSession;
  } catch {
    return undefined;
  }
}

export function createApiClient(config: WardConfig, env: Record<string, string | undefined> = process.env): ApiClient {
  const saved = loadSession(env);
  const baseUrl = (env.WARD_URL ?? saved?.url ?? config.publicUrl).replace(/\/$/, '');
  const token = env.WARD_TOKEN ?? saved?.token;
  const headers = (override?: string | null): Record<string, string> => {
    const t = override === undefined ? token : override;
    return t ? { authorization: `Bearer ${t}` } : {};
  };
  async function failed(response: Response): Promise<never> {
    let code: string = 'INTERNAL';
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch {
      /* not JSON */
    }
    throw new WardError((code in errorCodes ? code : 'INTERNAL') as ErrorCode, message);
  }
  // A server that is not running answers with a socket error; say where we looked and what to do.
  async function reach(url: string, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(url, init);
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
      throw new WardError('SERVICE_UNAVAILABLE', `Cannot reach Ward at ${baseUrl} (${cause}). Is \`ward serve\` running there? Set WARD_URL or sign in with \`ward login --url\`.`);
    }
  }
  return {
    baseUrl,
    async request(method, path, body, options) {
      const response = await reach(`${baseUrl}${path}`, {
        method,
        headers: { ...headers(options?.token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!response.ok) return failed(response);
      if (response.status === 204) return undefined as never;
      const type = response.headers.get('content-type') ?? '';
      return (type.includes('json') ? await response.json() : await response.text()) as never;
    },
    async stream(path) {
      const response = await reach(`${baseUrl}${path}`, { headers: headers() });
      if (!response.ok || !response.body) return failed(response);
      return response.body;
    },
  };
}
