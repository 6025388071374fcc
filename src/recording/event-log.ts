// The plaintext of a format-2 recording: a binary log of terminal events that the relay writes with one copy,
// turned into asciicast v2 only when a recording is played or exported (ADR 0008).
import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';
import { WardError } from '../platform/errors.js';

/**
 * One record: [u8 code][f64 BE time in whole microseconds][u32 BE payload length][payload].
 * Codes: `h` the asciicast header line (JSON, first record, time 0), `o` output bytes, `i` input bytes,
 * `r` a resize as ASCII `COLSxROWS`.
 */
export const RECORD_HEADER_BYTES = 13;
export const CODE = { header: 0x68, output: 0x6f, input: 0x69, resize: 0x72 } as const;

/** Writes a record header at `offset`; the caller copies the payload after it. Returns the payload's offset. */
export function writeRecordHeader(target: Buffer, offset: number, code: number, micros: number, length: number): number {
  target[offset] = code;
  target.writeDoubleBE(micros, offset + 1);
  target.writeUInt32BE(length, offset + 9);
  return offset + RECORD_HEADER_BYTES;
}

/** Seconds since the recording started → the whole microseconds both the log and asciicast keep. */
export function toMicros(seconds: number): number {
  return Math.round(seconds * 1e6);
}

export interface AsciicastHeader {
  width: number;
  height: number;
  /** Unix seconds. */
  timestamp: number;
  command?: string | undefined;
  title?: string | undefined;
  env?: Record<string, string> | undefined;
}

/** The `h` record that opens every log: the asciicast header line, without its newline. */
export function headerRecord(header: AsciicastHeader): Buffer {
  const json = Buffer.from(
    JSON.stringify({
      version: 2,
      width: header.width,
      height: header.height,
      timestamp: header.timestamp,
      ...(header.command ? { command: header.command } : {}),
      ...(header.title ? { title: header.title } : {}),
      ...(header.env ? { env: header.env } : {}),
    }),
    'utf8',
  );
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + json.length);
  json.copy(record, writeRecordHeader(record, 0, CODE.header, 0, json.length));
  return record;
}

const malformed = () => new WardError('DECRYPTION_FAILED', 'The recording event log is malformed.');

/**
 * Asciicast v2 of an event log. Output and input bytes are decoded as UTF-8 by one streaming decoder per
 * direction, so a character split across events stays whole and invalid bytes become U+FFFD; an event that
 * decodes to nothing (half a character) is left out, as the format-1 encoder did. Times are microseconds / 1e6.
 */
export function eventLogToAsciicast(log: Buffer): Buffer {
  const decoders = { [CODE.output]: new StringDecoder('utf8'), [CODE.input]: new StringDecoder('utf8') } as Record<number, StringDecoder>;
  const lines: string[] = [];
  let position = 0;
  let first = true;
  while (position < log.length) {
    if (position + RECORD_HEADER_BYTES > log.length) throw malformed();
    const code = log[position]!;
    const micros = log.readDoubleBE(position + 1);
    const length = log.readUInt32BE(position + 9);
    const start = position + RECORD_HEADER_BYTES;
    const end = start + length;
    if (end > log.length) throw malformed();
    const payload = log.subarray(start, end);
    position = end;
    if (first !== (code === CODE.header)) throw malformed();
    first = false;
    if (code === CODE.header) {
      lines.push(`${payload.toString('utf8')}\n`);
      continue;
    }
    let data: string;
    if (code === CODE.resize) data = payload.toString('latin1');
    else {
      const decoder = decoders[code];
      if (!decoder) throw malformed();
      // ASCII (most terminal output) skips UTF-8 decoding; it cannot complete a pending multi-byte sequence,
      // so end() flushes any such remainder as U+FFFD exactly as the decoder would.
      data = isAscii(payload) ? decoder.end() + payload.toString('latin1') : decoder.write(payload);
    }
    if (!data.length) continue;
    lines.push(`${JSON.stringify([micros / 1e6, String.fromCharCode(code), data])}\n`);
  }
  if (first) throw malformed();
  return Buffer.from(lines.join(''), 'utf8');
}
