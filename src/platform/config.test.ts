import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, parseListen } from './config.js';
import { isWardError } from './errors.js';

describe('configuration', () => {
  it('defaults to an SQLite store in ./.ward, loopback listeners and 15-minute idle logoff', () => {
    const config = loadConfig({}, '/srv/ward');
    expect(config.dataDir).toBe('/srv/ward/.ward');
    expect(config.databaseKind).toBe('sqlite');
    expect(config.databaseUrl).toBe('sqlite:///srv/ward/.ward/ward.db');
    expect(config.httpListen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.sshListen).toEqual({ host: '127.0.0.1', port: 2222 });
    expect(config.auth.idleTimeoutSeconds).toBe(900);
    expect(config.auth.stepUpMaxAgeSeconds).toBe(300);
    expect(config.publicUrl).toBe('http://127.0.0.1:8080');
  });

  it('switches to PostgreSQL and HTTPS from the environment', () => {
    const config = loadConfig({ WARD_DATABASE_URL: 'postgres://ward@db/ward', WARD_TLS: 'auto', WARD_HTTP_LISTEN: '0.0.0.0:8443' }, '/x');
    expect(config.databaseKind).toBe('postgres');
    expect(config.tls).toEqual({ mode: 'auto' });
    expect(config.publicUrl).toBe('https://localhost:8443');
    expect(config.webauthn.rpId).toBe('localhost');
  });

  it('reads a YAML config file, with the environment taking precedence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-config-'));
    const file = join(dir, 'ward.yaml');
    writeFileSync(file, 'httpListen: 127.0.0.1:9090\nidleTimeoutSeconds: 600\nlogLevel: debug\n');
    const config = loadConfig({ WARD_CONFIG: file, WARD_LOG_LEVEL: 'warn' }, dir);
    expect(config.httpListen.port).toBe(9090);
    expect(config.auth.idleTimeoutSeconds).toBe(600);
    expect(config.logLevel).toBe('warn');
  });

  it('refuses unknown settings, bad listen addresses and half a TLS pair with a typed error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ward-config-'));
    const file = join(dir, 'ward.yaml');
    writeFileSync(file, 'httpListn: 127.0.0.1:9090\n');
    const errors = [
      () => loadConfig({ WARD_CONFIG: file }, dir),
      () => loadConfig({ WARD_HTTP_LISTEN: 'nowhere' }, dir),
      () => loadConfig({ WARD_TLS_CERT: '/c.pem' }, dir),
      () => loadConfig({ WARD_DATABASE_URL: 'mysql://x' }, dir),
      () => loadConfig({ WARD_IDLE_TIMEOUT_SECONDS: '-5' }, dir),
    ].map((f) => {
      try {
        f();
        return undefined;
      } catch (error) {
        return error;
      }
    });
    for (const error of errors) expect(isWardError(error, 'VALIDATION_FAILED')).toBe(true);
  });

  it('parses IPv6 listen addresses', () => {
    expect(parseListen('[::1]:2222', 'x')).toEqual({ host: '::1', port: 2222 });
  });
});
