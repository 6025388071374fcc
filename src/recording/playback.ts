// Reading recordings back: decrypt to the plain asciicast, and replay it to a terminal with its timing.
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { RecordingKeys } from '../gateway/ssh/types.js';
import { decodeHeader, decryptChunks } from './format.js';
import { eventLogToAsciicast } from './event-log.js';

/**
 * Decrypts a recording file into asciicast v2 text; throws DECRYPTION_FAILED if it was altered or truncated.
 * `sha256` is the digest of the decrypted plaintext (the event log in format 2, the asciicast itself in format 1),
 * the same value `gateway.ssh.recording.sealed` carries.
 */
export async function decryptRecording(file: string, keys: RecordingKeys): Promise<{ asciicast: Buffer; sha256: string }> {
  const data = await readFile(file);
  const { version, wrappedKey, bodyOffset } = decodeHeader(data);
  const key = await keys.unwrap(wrappedKey);
  const hash = createHash('sha256');
  const parts: Buffer[] = [];
  for (const part of decryptChunks(key, data, bodyOffset, version)) {
    hash.update(part);
    parts.push(part);
  }
  const plaintext = Buffer.concat(parts);
  return { asciicast: version === 1 ? plaintext : eventLogToAsciicast(plaintext), sha256: hash.digest('hex') };
}

export interface AsciicastEvent {
  time: number;
  code: string;
  data: string;
}

export function parseAsciicast(text: string): { header: Record<string, unknown>; events: AsciicastEvent[] } {
  const lines = text.split('\n').filter((line) => line.length > 0);
  const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  const events = lines.slice(1).map((line) => {
    const [time, code, data] = JSON.parse(line) as [number, string, string];
    return { time, code, data };
  });
  return { header, events };
}

/** The terminal output of a recording, concatenated (what the user saw). */
export function outputText(text: string): string {
  return parseAsciicast(text)
    .events.filter((event) => event.code === 'o')
    .map((event) => event.data)
    .join('');
}

/**
 * Replays output events to a writable with their original timing, idle gaps capped at `maxIdleSeconds`,
 * sped up by `speed`.
 */
export async function replay(
  text: string,
  out: NodeJS.WritableStream,
  options: { speed?: number; maxIdleSeconds?: number } = {},
): Promise<void> {
  const speed = options.speed ?? 1;
  const maxIdle = options.maxIdleSeconds ?? 2;
  let previous = 0;
  for (const event of parseAsciicast(text).events) {
    if (event.code !== 'o') continue;
    const wait = Math.min(event.time - previous, maxIdle) / speed;
    previous = event.time;
    if (wait > 0.001) await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    out.write(event.data);
  }
}
