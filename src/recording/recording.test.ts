import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWardError } from '../platform/errors.js';
import { createLocalRecordingKeys } from './local-keys.js';
import { createRecorder } from './recorder.js';
import { decryptRecording, outputText, parseAsciicast } from './playback.js';
import { decodeHeader, decryptChunks, encodeHeader, encryptChunk, MAGIC_V2 } from './format.js';
import { CODE, eventLogToAsciicast, headerRecord, toMicros, writeRecordHeader } from './event-log.js';
import { StringDecoder } from 'node:string_decoder';
import { isAscii } from 'node:buffer';

const directory = mkdtempSync(join(tmpdir(), 'ward-rec-'));
const keys = createLocalRecordingKeys();

async function record(name: string, chunkBytes = 64, worker = true) {
  const file = join(directory, `${name}.cast.enc`);
  const recorder = await createRecorder(file, keys, { width: 80, height: 24, timestamp: 1_800_000_000 }, { chunkBytes, worker });
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
    // The audited digest is that of the stored plaintext (the event log), which decrypting reproduces.
    expect(sha256).toBe(summary.sha256);
    expect(createHash('sha256').update(await plaintextOf(file)).digest('hex')).toBe(summary.sha256);
    expect(summary.events).toBe(4);
    const text = asciicast.toString();
    const { header, events } = parseAsciicast(text);
    expect(header).toMatchObject({ version: 2, width: 80, height: 24, timestamp: 1_800_000_000 });
    expect(events.map((event) => event.code)).toEqual(['o', 'i', 'r', 'o']);
    expect(events[2]!.data).toBe('100x30');
    expect(outputText(text)).toBe(`héllo €${'x'.repeat(500)}\r\n`);
  });

  it('records the same way on the caller\'s thread when no worker is used', async () => {
    const { file, summary } = await record('in-thread', 64, false);
    const { asciicast, sha256 } = await decryptRecording(file, keys);
    expect(sha256).toBe(summary.sha256);
    expect(outputText(asciicast.toString())).toBe(`héllo €${'x'.repeat(500)}\r\n`);
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

  it('refuses a file whose format label was changed', async () => {
    const { file } = await record('relabelled');
    const raw = Buffer.from(readFileSync(file));
    Buffer.from('WARDREC1').copy(raw, 0);
    writeFileSync(file, raw);
    await expectDecryptionFailure(decryptRecording(file, keys));
  });
});

async function plaintextOf(file: string): Promise<Buffer> {
  const raw = readFileSync(file);
  const { version, wrappedKey, bodyOffset } = decodeHeader(raw);
  return Buffer.concat([...decryptChunks(await keys.unwrap(wrappedKey), raw, bodyOffset, version)]);
}

interface TestEvent {
  time: number;
  code: 'o' | 'i' | 'r';
  data: Buffer;
}

/** The format-1 encoder's asciicast (what Ward stored before ADR 0008), kept here as the reference. */
function formatOneAsciicast(header: Parameters<typeof headerRecord>[0], events: TestEvent[]): string {
  const decoders = { o: new StringDecoder('utf8'), i: new StringDecoder('utf8') };
  let text = `${JSON.stringify({ version: 2, width: header.width, height: header.height, timestamp: header.timestamp, ...(header.command ? { command: header.command } : {}), ...(header.title ? { title: header.title } : {}), ...(header.env ? { env: header.env } : {}) })}\n`;
  for (const event of events) {
    let data: string;
    if (event.code === 'r') data = event.data.toString('latin1');
    else {
      const decoder = decoders[event.code];
      data = isAscii(event.data) ? decoder.end() + event.data.toString('latin1') : decoder.write(event.data);
    }
    if (!data.length) continue;
    text += `${JSON.stringify([Math.round(event.time * 1e6) / 1e6, event.code, data])}\n`;
  }
  return text;
}

function eventLog(header: Parameters<typeof headerRecord>[0], events: TestEvent[]): Buffer {
  const records = [headerRecord(header)];
  for (const event of events) {
    const record = Buffer.alloc(13 + event.data.length);
    event.data.copy(record, writeRecordHeader(record, 0, event.code.charCodeAt(0), toMicros(event.time), event.data.length));
    records.push(record);
  }
  return Buffer.concat(records);
}

describe('the stored event log and its asciicast', () => {
  const header = { width: 120, height: 40, timestamp: 1_800_000_123, command: 'cat "x"\n', title: 'alice on root@db', env: { TERM: 'xterm-256color' } };
  const euro = Buffer.from('€');
  const emoji = Buffer.from('😀');
  const events: TestEvent[] = [
    { time: 0.000_000_4, code: 'o', data: Buffer.from('plain ASCII "quotes" \\ backslash\r\n\t\x1b[31mred\x1b[0m\x00\x07\x7f') },
    { time: 0.1234565, code: 'o', data: Buffer.concat([Buffer.from('split '), euro.subarray(0, 2)]) },
    { time: 0.2, code: 'i', data: emoji.subarray(0, 1) },
    { time: 0.25, code: 'o', data: euro.subarray(2) },
    { time: 0.3, code: 'i', data: emoji.subarray(1, 3) },
    { time: 0.35, code: 'i', data: Buffer.concat([emoji.subarray(3), Buffer.from('ls\r')]) },
    { time: 1 / 3, code: 'r', data: Buffer.from('132x50') },
    { time: 2.5, code: 'o', data: euro.subarray(0, 1) },
    // ASCII after half a character: the decoder's remainder becomes U+FFFD, as it did when the encoder decoded.
    { time: 2.6, code: 'o', data: Buffer.from('after\n') },
    { time: 3, code: 'o', data: Buffer.from([0xff, 0xc3, 0x28, 0xe2, 0x82, 0x41, 0xf0, 0x9f, 0x98]) },
    { time: 3.1, code: 'o', data: Buffer.alloc(0) },
    { time: 3.2, code: 'o', data: Buffer.from('\u2028 line separator, ünïcödé, 中文\r\n') },
    { time: 7_200.123_456_7, code: 'o', data: Buffer.from('two hours in') },
    { time: 7_201, code: 'o', data: emoji.subarray(0, 2) },
  ];

  it('converts to byte-identical asciicast v2 to what format 1 stored for the same events', () => {
    const expected = formatOneAsciicast(header, events);
    const asciicast = eventLogToAsciicast(eventLog(header, events));
    expect(asciicast.toString('utf8')).toBe(expected);
    expect(asciicast.equals(Buffer.from(expected, 'utf8'))).toBe(true);
    const parsed = parseAsciicast(expected);
    expect(parsed.header).toMatchObject({ version: 2, width: 120, command: 'cat "x"\n' });
    expect(parsed.events.find((event) => event.code === 'i')?.data).toBe('😀ls\r');
  });

  it('refuses a log that does not open with its header or ends inside a record', () => {
    const log = eventLog(header, events);
    const isMalformed = (run: () => unknown) => {
      try {
        run();
        return false;
      } catch (error) {
        return isWardError(error, 'DECRYPTION_FAILED');
      }
    };
    expect(isMalformed(() => eventLogToAsciicast(log.subarray(0, log.length - 1)))).toBe(true);
    expect(isMalformed(() => eventLogToAsciicast(log.subarray(headerRecord(header).length)))).toBe(true);
    expect(isMalformed(() => eventLogToAsciicast(Buffer.alloc(0)))).toBe(true);
    expect(CODE.output).toBe('o'.charCodeAt(0));
  });

  it('still plays format-1 files (asciicast stored directly) with the digest of that asciicast', async () => {
    const { key, wrapped } = await keys.newDataKey();
    const text = Buffer.from(formatOneAsciicast(header, events), 'utf8');
    const file = join(directory, 'format-one.cast.enc');
    const half = Math.floor(text.length / 2);
    writeFileSync(
      file,
      Buffer.concat([
        encodeHeader(wrapped, 1),
        ...encryptChunk(key, 0, [text.subarray(0, half)], false, 1),
        ...encryptChunk(key, 1, [text.subarray(half)], true, 1),
      ]),
    );
    const { asciicast, sha256 } = await decryptRecording(file, keys);
    expect(asciicast.equals(text)).toBe(true);
    expect(sha256).toBe(createHash('sha256').update(text).digest('hex'));
    expect(readFileSync(file).subarray(0, 8).equals(MAGIC_V2)).toBe(false);
  });
});
