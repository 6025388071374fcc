// Records a terminal session as asciicast v2 ("o", "i", "r" events), encrypted in chunks as it goes.
// The relay only appends buffer references; a timer coalesces them into events and hands them to the encoder
// thread (JSON, SHA-256, AES-256-GCM, file writes), so recording costs the relay's event loop one copy per batch.
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { RecordingKeys } from '../gateway/ssh/types.js';
import { createEncoder, type AsciicastHeader, type Encoder, type RawEvent, type RecordingSummary } from './encoder.js';
import type { EncoderRequest } from './encoder-worker.js';

export type { AsciicastHeader, RecordingSummary } from './encoder.js';

export interface Recorder {
  output(data: Buffer): void;
  input(data: Buffer): void;
  resize(width: number, height: number): void;
  close(): Promise<RecordingSummary>;
}

export interface RecorderOptions {
  /** How long chunks wait before encoding; larger batches cost less CPU, the file lags by this much. */
  flushIntervalMs?: number;
  /** Plaintext bytes per encrypted chunk. */
  chunkBytes?: number;
  /** Consecutive chunks of one kind closer than this are written as one event. */
  coalesceMs?: number;
  /** Encode in the shared encoder thread (default) or on the caller's thread. */
  worker?: boolean;
}

interface Pending {
  time: number;
  code: 'o' | 'i' | 'r';
  data: Buffer | string;
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
  events(batch: RawEvent[], transfer: ArrayBuffer[]): void;
  close(): Promise<RecordingSummary>;
}

function workerSink(file: string, key: Buffer, wrapped: Buffer, header: AsciicastHeader, chunkBytes: number): Sink {
  const thread = encoderThread();
  const id = thread.nextId++;
  const post = (request: EncoderRequest, transfer: ArrayBuffer[] = []) => thread.worker.postMessage(request, transfer);
  post({ type: 'open', id, file, key: new Uint8Array(key), wrapped: new Uint8Array(wrapped), header, chunkBytes });
  return {
    events: (events, transfer) => post({ type: 'events', id, events }, transfer),
    close: () =>
      new Promise((resolve, reject) => {
        thread.closing.set(id, (reply) => (reply.summary ? resolve(reply.summary) : reject(new Error(`recording failed: ${reply.error}`))));
        post({ type: 'close', id });
      }),
  };
}

function inThreadSink(file: string, key: Buffer, wrapped: Buffer, header: AsciicastHeader, chunkBytes: number): Sink {
  const encoder: Encoder = createEncoder(file, key, wrapped, header, chunkBytes);
  return { events: (events) => encoder.events(events), close: async () => encoder.close() };
}

export async function createRecorder(
  file: string,
  keys: RecordingKeys,
  header: AsciicastHeader,
  options: RecorderOptions = {},
): Promise<Recorder> {
  const flushIntervalMs = options.flushIntervalMs ?? 50;
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
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
    const events: RawEvent[] = [];
    const transfer: ArrayBuffer[] = [];
    let i = 0;
    while (i < batch.length) {
      const first = batch[i]!;
      if (first.code === 'r') {
        events.push({ time: first.time, code: 'r', data: first.data as string });
        i += 1;
        continue;
      }
      let j = i;
      let length = 0;
      while (j < batch.length && batch[j]!.code === first.code && batch[j]!.time - first.time <= coalesceSeconds) {
        length += batch[j]!.data.length;
        j += 1;
      }
      // A buffer that owns its memory, so it can move to the encoder thread without another copy.
      const data = Buffer.allocUnsafeSlow(length);
      let offset = 0;
      for (let k = i; k < j; k++) offset += (batch[k]!.data as Buffer).copy(data, offset);
      events.push({ time: first.time, code: first.code, data });
      transfer.push(data.buffer as ArrayBuffer);
      i = j;
    }
    sink.events(events, transfer);
  };

  const push = (code: Pending['code'], data: Buffer | string) => {
    if (closed) return;
    pending.push({ time: (performance.now() - started) / 1000, code, data });
    pendingBytes += data.length;
    if (pendingBytes >= chunkBytes) {
      if (timer) clearTimeout(timer);
      flush();
    } else if (!timer) {
      timer = setTimeout(flush, flushIntervalMs);
    }
  };

  return {
    output: (data) => push('o', data),
    input: (data) => push('i', data),
    resize: (width, height) => push('r', `${width}x${height}`),
    async close() {
      if (closed) throw new Error('recorder already closed');
      if (timer) clearTimeout(timer);
      flush();
      closed = true;
      return sink.close();
    },
  };
}
