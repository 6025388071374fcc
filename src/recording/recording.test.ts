import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWardError } from '../platform/errors.js';
import { createLocalRecordingKeys } from './local-keys.js';
import { createRecorder } from './recorder.js';
import { decryptRecording, outputText, parseAsciicast } from './playback.js';

const directory = mkdtempSync(join(tmpdir(), 'ward-rec-'));
const keys = createLocalRecordingKeys();

async function record(name: string, chunkBytes = 64) {
  const file = join(directory, `${name}.cast.enc`);
  const recorder = await createRecorder(file, keys, { width: 80, height: 24, timestamp: 1_800_000_000 }, { chunkBytes });
  recorder.output(Buffer.from('héllo '));
  // A multi-byte character split across two chunks still decodes.
  const euro = Buffer.from('€');
  recorder.output(euro.subarray(0, 1));
  recorder.output(euro.subarray(1));
  recorder.input(Buffer.from('ls\r'));
  recorder.resize(100, 30);
  recorder.output(Buffer.from('x'.repeat(500) + '\r\n'));
  const summary = await recorder.close();
  return { file, summary };
}

function chunkStarts(raw: Buffer): number[] {
  const starts: number[] = [];
  let position = 10 + raw.readUInt16BE(8);
  while (position < raw.length) {
    starts.push(position);
    position += 5 + raw.readUInt32BE(position);
  }
  return starts;
}

const expectDecryptionFailure = async (promise: Promise<unknown>) => {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(isWardError(error, 'DECRYPTION_FAILED')).toBe(true);
};

describe('encrypted asciicast recordings', () => {
  it('round-trips to asciicast v2 with output, input and resize events and a matching hash', async () => {
    const { file, summary } = await record('roundtrip');
    const raw = readFileSync(file);
    expect(raw.includes(Buffer.from('héllo'))).toBe(false);
    const { asciicast, sha256 } = await decryptRecording(file, keys);
    expect(sha256).toBe(summary.sha256);
    expect(createHash('sha256').update(asciicast).digest('hex')).toBe(summary.sha256);
    const text = asciicast.toString();
    const { header, events } = parseAsciicast(text);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24, timestamp: 1_800_000_000 });
    expect(events.map((event) => event.code)).toEqual(['o', 'i', 'r', 'o']);
    expect(events[2]!.data).toBe('100x30');
    expect(outputText(text)).toBe(`héllo €${'x'.repeat(500)}\r\n`);
  });

  it('detects truncation (the final chunk is missing)', async () => {
    const { file } = await record('truncated');
    const raw = readFileSync(file);
    const starts = chunkStarts(raw);
    expect(starts.length).toBeGreaterThan(1);
    // Drop the whole final chunk: every remaining chunk still authenticates, yet the file must be refused.
    writeFileSync(file, raw.subarray(0, starts.at(-1)));
    await expectDecryptionFailure(decryptRecording(file, keys));
  });

  it('detects a flipped byte and a foreign key', async () => {
    const { file } = await record('tampered');
    const raw = Buffer.from(readFileSync(file));
    raw[raw.length - 30]! ^= 0x01;
    writeFileSync(file, raw);
    await expectDecryptionFailure(decryptRecording(file, keys));
    const { file: other } = await record('other-key');
    await expectDecryptionFailure(decryptRecording(other, createLocalRecordingKeys(randomBytes(32))));
  });

  it('detects chunks removed from the middle', async () => {
    const { file } = await record('spliced', 16);
    const raw = readFileSync(file);
    const headerLength = 10 + raw.readUInt16BE(8);
    const firstChunkLength = 5 + raw.readUInt32BE(headerLength);
    const spliced = Buffer.concat([raw.subarray(0, headerLength), raw.subarray(headerLength + firstChunkLength)]);
    writeFileSync(file, spliced);
    await expectDecryptionFailure(decryptRecording(file, keys));
  });
});
