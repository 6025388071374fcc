// Turns batches of raw terminal events into asciicast v2 lines, hashes and encrypts them into the recording file.
// Runs inside the encoder worker (off the relay's event loop) or, when no worker is available, in-thread.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';
import { encodeHeader, encryptChunk } from './format.js';

export interface AsciicastHeader {
  width: number;
  height: number;
  /** Unix seconds. */
  timestamp: number;
  command?: string | undefined;
  title?: string | undefined;
  env?: Record<string, string> | undefined;
}

export interface RecordingSummary {
  /** SHA-256 (hex) of the plaintext asciicast, for the audit trail. */
  sha256: string;
  plaintextBytes: number;
  events: number;
  file: string;
}

/** One asciicast event: output/input bytes (already coalesced) or a resize "COLSxROWS". */
export interface RawEvent {
  time: number;
  code: 'o' | 'i' | 'r';
  data: Uint8Array | string;
}

export interface Encoder {
  events(batch: RawEvent[]): void;
  close(): RecordingSummary;
}

export function createEncoder(file: string, key: Buffer, wrapped: Buffer, header: AsciicastHeader, chunkBytes: number): Encoder {
  const fd = openSync(file, 'wx', 0o600);
  writeSync(fd, encodeHeader(wrapped));
  const hash = createHash('sha256');
  const decoders = { o: new StringDecoder('utf8'), i: new StringDecoder('utf8') };
  let lines: string[] = [];
  let pendingLength = 0;
  let chunkIndex = 0;
  let totalBytes = 0;
  let events = 0;

  const seal = (final: boolean) => {
    const text = Buffer.from(lines.join(''), 'utf8');
    lines = [];
    pendingLength = 0;
    hash.update(text);
    totalBytes += text.length;
    writeSync(fd, encryptChunk(key, chunkIndex++, text, final));
  };
  const push = (line: string) => {
    lines.push(line);
    pendingLength += line.length;
  };
  push(
    `${JSON.stringify({
      version: 2,
      width: header.width,
      height: header.height,
      timestamp: header.timestamp,
      ...(header.command ? { command: header.command } : {}),
      ...(header.title ? { title: header.title } : {}),
      ...(header.env ? { env: header.env } : {}),
    })}\n`,
  );

  return {
    events(batch) {
      for (const event of batch) {
        let data: string;
        if (event.code === 'r') data = event.data as string;
        else {
          const bytes = event.data as Uint8Array;
          const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          const decoder = decoders[event.code];
          // ASCII (most terminal output) skips UTF-8 decoding; it cannot complete a pending multi-byte sequence,
          // so end() flushes any such remainder as U+FFFD exactly as the decoder would.
          data = isAscii(buffer) ? decoder.end() + buffer.toString('latin1') : decoder.write(buffer);
        }
        if (!data.length) continue;
        push(`${JSON.stringify([Math.round(event.time * 1e6) / 1e6, event.code, data])}\n`);
        events += 1;
      }
      if (pendingLength >= chunkBytes) seal(false);
    },
    close() {
      seal(true);
      closeSync(fd);
      return { sha256: hash.digest('hex'), plaintextBytes: totalBytes, events, file };
    },
  };
}
