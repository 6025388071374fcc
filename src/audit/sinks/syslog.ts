// Syslog export: RFC 5424 messages with a JSON or CEF payload, sent over TCP or TLS with RFC 5425 octet-counting
// framing ("LEN SP MSG"). The framing is one line of code, so no library is used for it; node:tls does the TLS.
import { connect as tcpConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { dicomFor } from '../dicom.js';
import type { AuditCheckpoint, AuditRecord } from '../types.js';
import type { AuditSink, SinkItem } from './types.js';

export type SyslogPayload = 'json' | 'cef';

export interface SyslogFormatOptions {
  hostname: string;
  appName?: string;
  payload: SyslogPayload;
}

/** Private enterprise number used in structured-data ids (the RFC 5424 example number until Ward registers one). */
export const SD_ENTERPRISE = '32473';
/** Facility 13: log audit. */
const FACILITY = 13;

function severity(item: SinkItem): number {
  if (item.kind === 'checkpoint') return 5;
  const { record } = item;
  if (record.action.startsWith('access.breakglass.')) return 1;
  return record.outcome === 'success' ? 6 : 4;
}

function header(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return printable.length ? printable : '-';
}

function sdValue(value: string): string {
  return value.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

function cefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
}

function cefValue(value: string): string {
  return value.replace(/[\\=]/g, (c) => `\\${c}`).replace(/\r?\n/g, '\\n');
}

export function toCef(item: SinkItem, version = '0.1.0'): string {
  if (item.kind === 'checkpoint') {
    const c = item.checkpoint;
    const ext = { rt: String(c.time), cn1Label: 'sequence', cn1: String(c.sequence), cs1Label: 'chainHash', cs1: c.hash, cs2Label: 'signatures', cs2: JSON.stringify(c.signatures) };
    return `CEF:0|Ward|Ward|${version}|audit.checkpoint|Audit checkpoint|3|${Object.entries(ext).map(([k, v]) => `${k}=${cefValue(v)}`).join(' ')}`;
  }
  const r = item.record;
  const mapping = dicomFor(r.action);
  const sev = r.action.startsWith('access.breakglass.') ? 9 : r.outcome === 'success' ? 3 : 6;
  const ext: Array<[string, string | undefined]> = [
    ['rt', String(r.time)],
    ['externalId', r.id],
    ['cn1Label', 'sequence'],
    ['cn1', String(r.sequence)],
    ['act', r.action],
    ['outcome', r.outcome],
    ['suid', r.actor.id],
    ['suser', r.actor.name],
    ['src', r.actor.address],
    ['shost', r.actor.device],
    ['dhost', r.target?.system ?? r.target?.name],
    ['duser', r.target?.account],
    ['cs1Label', r.reasonCode ? 'purposeOfUse' : undefined],
    ['cs1', r.reasonCode],
    ['cs2Label', r.ticket ? 'ticket' : undefined],
    ['cs2', r.ticket],
    ['cs3Label', r.sessionId ? 'sessionId' : undefined],
    ['cs3', r.sessionId],
    ['cs4Label', 'dicomEvent'],
    ['cs4', [mapping.type.code, mapping.subtype?.code].filter(Boolean).join('/')],
    ['deviceExternalId', r.nodeId],
    ['msg', r.justification],
  ];
  const extension = ext.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${cefValue(v!)}`).join(' ');
  return `CEF:0|Ward|Ward|${version}|${cefHeader(r.action)}|${cefHeader(mapping.subtype?.display ?? mapping.type.display)}|${sev}|${extension}`;
}

function itemJson(item: SinkItem): string {
  return JSON.stringify(item.kind === 'event' ? { type: 'audit.event', ...item.record } : { type: 'audit.checkpoint', ...item.checkpoint });
}

/** One RFC 5424 message (without framing). */
export function formatSyslog(item: SinkItem, options: SyslogFormatOptions): string {
  const pri = `<${FACILITY * 8 + severity(item)}>1`;
  const time = new Date(item.kind === 'event' ? item.record.time : item.checkpoint.time).toISOString();
  let msgId: string;
  let sd: string;
  if (item.kind === 'event') {
    const r: AuditRecord = item.record;
    msgId = 'audit';
    sd = `[ward@${SD_ENTERPRISE} seq="${r.sequence}" action="${sdValue(r.action)}" outcome="${r.outcome}"]`;
  } else {
    const c: AuditCheckpoint = item.checkpoint;
    msgId = 'checkpoint';
    sd = `[wardCheckpoint@${SD_ENTERPRISE} seq="${c.sequence}" hash="${c.hash}"]`;
  }
  const msg = options.payload === 'cef' ? toCef(item) : itemJson(item);
  return `${pri} ${time} ${header(options.hostname, 255)} ${header(options.appName ?? 'ward', 48)} - ${msgId} ${sd} ${msg}`;
}

/** RFC 5425 / RFC 6587 octet counting: the length in bytes, a space, the message. */
export function frameOctetCounted(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}

export interface SyslogSinkOptions {
  name: string;
  host: string;
  port: number;
  /** TLS (RFC 5425) with the collector's CA; omit for plain TCP. */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; servername?: string } | undefined;
  payload: SyslogPayload;
  hostname: string;
  connectTimeoutMs?: number;
}

export function createSyslogSink(options: SyslogSinkOptions): AuditSink {
  let socket: Socket | null = null;
  // Concurrent deliveries share one connection attempt instead of each opening its own.
  let connecting: Promise<Socket> | null = null;

  function open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const timeout = options.connectTimeoutMs ?? 5000;
      const onError = (error: Error) => reject(error);
      const s = options.tls
        ? tlsConnect({
            host: options.host,
            port: options.port,
            ca: options.tls.ca,
            cert: options.tls.cert,
            key: options.tls.key,
            // SNI carries host names only (RFC 6066); an IP address is still checked against the certificate's SAN.
            servername: options.tls.servername ?? (isIP(options.host) ? undefined : options.host),
            // The collector must prove who it is: audit data goes nowhere unauthenticated.
            rejectUnauthorized: true,
          }, () => resolve(s))
        : tcpConnect({ host: options.host, port: options.port }, () => resolve(s));
      s.setTimeout(timeout, () => s.destroy(new Error(`syslog connection to ${options.host}:${options.port} timed out`)));
      // `on`, not `once`: a TLS handshake can fail with a second error (reset after a timeout), which must not crash Ward.
      s.on('error', onError);
      s.on('close', () => {
        if (socket === s) socket = null;
      });
      s.on('data', () => {}); // collectors do not answer; drain anything they send
    }).then((s) => {
      const sock = s as Socket;
      sock.setTimeout(0);
      sock.removeAllListeners('error');
      sock.on('error', () => sock.destroy());
      return sock;
    });
  }

  return {
    name: options.name,
    async deliver(items) {
      socket ??= await (connecting ??= open().finally(() => {
        connecting = null;
      }));
      const s = socket;
      const frames = Buffer.concat(items.map((item) => frameOctetCounted(formatSyslog(item, options))));
      await new Promise<void>((resolve, reject) => {
        s.write(frames, (error) => {
          if (error) {
            s.destroy();
            if (socket === s) socket = null;
            reject(error);
          } else resolve();
        });
      });
    },
    async close() {
      const s = socket;
      socket = null;
      if (s) await new Promise<void>((resolve) => s.end(resolve));
    },
  };
}
