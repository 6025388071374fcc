// Records a terminal session as an encrypted event log (output, input, resize) that plays back as asciicast v2.
// The relay only appends buffer references; a timer coalesces them into framed events with one copy and moves the
// batch to the encoder thread (SHA-256, AES-256-GCM, file writes), so no per-byte work runs on the relay's thread.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { RecordingKeys } from '../gateway/ssh/types.js';
import { createEncoder, type AsciicastHeader, type RecordingSummary } from './encoder.js';
import type { EncoderRequest } from './encoder-worker.js';
import { CODE, RECORD_HEADER_BYTES, toMicros, writeRecordHeader } from './event-log.js';

export type { AsciicastHeader, RecordingSummary } from './encoder.js';

export interface Recorder {
  output(data: Buffer): void;
  input(data: Buffer): void;
  resize(width: number, height: number): void;
  close(): Promise<RecordingSummary>;
}

export interface RecorderOptions {
  /** How long chunks wait before they are handed to the encoder; the file lags by this much at most. */
  flushIntervalMs?: number;
  /** Plaintext bytes per encrypted chunk. */
  chunkBytes?: number;
  /** Pending bytes that force a hand-over before the timer; fewer, larger hand-overs cost the relay less. */
  handoverBytes?: number;
  /** Consecutive chunks of one kind closer than this are written as one event. */
  coalesceMs?: number;
  /** Encode in the shared encoder thread (default) or on the caller's thread. */
  worker?: boolean;
}

interface Pending {
  time: number;
  code: number;
  data: Buffer;
}

/** One encoder thread per process, shared by every recording; started on first use. */
type Reply = { summary?: RecordingSummary; error?: string };
let shared: { worker: Worker; nextId: number; closing: Map<number, (reply: Reply) => void> } | undefined;

function encoderThread() {
  if (shared) return shared;
  const typescript = fileURLToPath(import.meta.url).endsWith('.ts');
  const script = new URL(`./encoder-worker.${typescript ? 'ts' : 'js'}`, import.meta.url);
  // Running from source (tsx, vitest): the thread registers tsx itself before loading the TypeScript worker.
  const worker = typescript
    ? new Worker(
        `import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href)})` +
          `.then((api) => { api.register(); return import(${JSON.stringify(script.href)}); })`,
        { eval: true },
      )
    : new Worker(script);
  worker.unref();
  const state = { worker, nextId: 1, closing: new Map<number, (reply: Reply) => void>() };
  worker.on('message', (message: { type: string; id: number; summary?: RecordingSummary; error?: string }) => {
    if (message.type !== 'closed') return;
    state.closing.get(message.id)?.(message);
    state.closing.delete(message.id);
  });
  worker.on('error', (error) => {
    for (const done of state.closing.values()) done({ error: error.message });
    state.closing.clear();
    shared = undefined;
  });
  shared = state;
  return state;
}

interface Sink {
  /** A framed batch that owns its memory (it is moved, not copied, to the encoder thread). */
  append(batch: Buffer, events: number): void;
  close(): Promise<RecordingSummary>;
}

function workerSink(file: string, key: Buffer, wrapped: Buffer, header: AsciicastHeader, chunkBytes: number): Sink {
  const thread = encoderThread();
  const id = thread.nextId++;
  const post = (request: EncoderRequest, transfer: ArrayBuffer[] = []) => thread.worker.postMessage(request, transfer);
  post({ type: 'open', id, file, key: new Uint8Array(key), wrapped: new Uint8Array(wrapped), header, chunkBytes });
  return {
    append: (batch, events) => post({ type: 'append', id, batch, events }, [batch.buffer as ArrayBuffer]),
    close: () =>
      new Promise((resolve, reject) => {
        thread.closing.set(id, (reply) => (reply.summary ? resolve(reply.summary) : reject(new Error(`recording failed: ${reply.error}`))));
        post({ type: 'close', id });
      }),
  };
}

function inThreadSink(file: string, key: Buffer, wrapped: Buffer, header: AsciicastHeader, chunkBytes: number): Sink {
  // Its own copy of the key: the caller wipes the one it was given.
  const encoder = createEncoder(file, Buffer.from(key), wrapped, header, chunkBytes);
  return { append: (batch, events) => encoder.append(batch, events), close: async () => encoder.close() };
}

export async function createRecorder(
  file: string,
  keys: RecordingKeys,
  header: AsciicastHeader,
  options: RecorderOptions = {},
): Promise<Recorder> {
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  const handoverBytes = options.handoverBytes ?? 1024 * 1024;
  const coalesceSeconds = (options.coalesceMs ?? 10) / 1000;
  const { key, wrapped } = await keys.newDataKey();
  const sink = (options.worker ?? true) ? workerSink(file, key, wrapped, header, chunkBytes) : inThreadSink(file, key, wrapped, header, chunkBytes);
  key.fill(0);
  const started = performance.now();
  let pending: Pending[] = [];
  let pendingBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const flush = () => {
    timer = undefined;
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    pendingBytes = 0;
    // Group runs of one kind within coalesceMs of their first chunk into one event (resizes stay single), then
    // frame every event into one buffer: a record header per event and one copy of its bytes.
    const ends: number[] = [];
    let size = 0;
    for (let i = 0; i < batch.length; ) {
      const first = batch[i]!;
      let j = i + 1;
      let length = first.data.length;
      if (first.code !== CODE.resize) {
        while (j < batch.length && batch[j]!.code === first.code && batch[j]!.time - first.time <= coalesceSeconds) {
          length += batch[j]!.data.length;
          j += 1;
        }
      }
      size += RECORD_HEADER_BYTES + length;
      ends.push(j, length);
      i = j;
    }
    const framed = Buffer.allocUnsafeSlow(size);
    let offset = 0;
    let i = 0;
    for (let e = 0; e < ends.length; e += 2) {
      const first = batch[i]!;
      offset = writeRecordHeader(framed, offset, first.code, toMicros(first.time), ends[e + 1]!);
      for (const end = ends[e]!; i < end; i++) offset += batch[i]!.data.copy(framed, offset);
    }
    sink.append(framed, ends.length / 2);
  };

  const push = (code: number, data: Buffer) => {
    if (closed) return;
    pending.push({ time: (performance.now() - started) / 1000, code, data });
    pendingBytes += data.length;
    if (pendingBytes >= handoverBytes) {
      if (timer) clearTimeout(timer);
      flush();
    } else if (!timer) {
      timer = setTimeout(flush, flushIntervalMs);
    }
  };

  return {
    output: (data) => push(CODE.output, data),
    input: (data) => push(CODE.input, data),
    resize: (width, height) => push(CODE.resize, Buffer.from(`${width}x${height}`, 'latin1')),
    async close() {
      if (closed) throw new Error('recorder already closed');
      if (timer) clearTimeout(timer);
      flush();
      closed = true;
      return sink.close();
    },
  };
}
