// Hashes, encrypts and writes a recording's event log (format 2, ADR 0008) as the relay hands over framed batches.
// Runs inside the encoder worker (off the relay's event loop) or, when no worker is available, in-thread.
import { closeSync, openSync, writeSync, writevSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { encodeHeader, encryptChunk } from './format.js';
import { headerRecord, type AsciicastHeader } from './event-log.js';

export type { AsciicastHeader } from './event-log.js';

export interface RecordingSummary {
  /** SHA-256 (hex) of the recording's plaintext: the event log, header record first (ADR 0008). */
  sha256: string;
  plaintextBytes: number;
  /** Output, input and resize records in the log. */
  events: number;
  file: string;
}

export interface Encoder {
  /** A batch of whole records (event-log.ts framing) holding `events` events. */
  append(batch: Buffer, events: number): void;
  close(): RecordingSummary;
}

function writeAll(fd: number, pieces: Buffer[]): void {
  let remaining = pieces;
  let written = writevSync(fd, remaining);
  // Regular files normally take the whole gather; finish a short write rather than lose the chunk's tail.
  while (remaining.length) {
    while (remaining.length && written >= remaining[0]!.length) {
      written -= remaining[0]!.length;
      remaining = remaining.slice(1);
    }
    if (!remaining.length) return;
    remaining = [remaining[0]!.subarray(written), ...remaining.slice(1)];
    written = writevSync(fd, remaining);
  }
}

export function createEncoder(file: string, key: Buffer, wrapped: Buffer, header: AsciicastHeader, chunkBytes: number): Encoder {
  const fd = openSync(file, 'wx', 0o600);
  writeSync(fd, encodeHeader(wrapped));
  const hash = createHash('sha256');
  let pieces: Buffer[] = [];
  let pendingLength = 0;
  let chunkIndex = 0;
  let totalBytes = 0;
  let events = 0;

  const seal = (final: boolean) => {
    writeAll(fd, encryptChunk(key, chunkIndex++, pieces, final));
    pieces = [];
    pendingLength = 0;
  };
  const append = (piece: Buffer) => {
    hash.update(piece);
    pieces.push(piece);
    pendingLength += piece.length;
    totalBytes += piece.length;
  };
  append(headerRecord(header));

  return {
    append(batch, count) {
      append(batch);
      events += count;
      if (pendingLength >= chunkBytes) seal(false);
    },
    close() {
      seal(true);
      closeSync(fd);
      return { sha256: hash.digest('hex'), plaintextBytes: totalBytes, events, file };
    },
  };
}
