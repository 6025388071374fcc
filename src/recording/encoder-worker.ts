// The recording encoder thread: owns every open recording of this process and does the hashing, encryption and
// file writes, so the SSH relay's event loop only frames and hands over byte buffers.
import { parentPort } from 'node:worker_threads';
import { createEncoder, type AsciicastHeader, type Encoder } from './encoder.js';

export type EncoderRequest =
  | { type: 'open'; id: number; file: string; key: Uint8Array; wrapped: Uint8Array; header: AsciicastHeader; chunkBytes: number }
  | { type: 'append'; id: number; batch: Uint8Array; events: number }
  | { type: 'close'; id: number };

const encoders = new Map<number, Encoder>();
const failures = new Map<number, string>();

parentPort!.on('message', (request: EncoderRequest) => {
  try {
    if (failures.has(request.id) && request.type !== 'close') return;
    if (request.type === 'open') {
      encoders.set(request.id, createEncoder(request.file, Buffer.from(request.key), Buffer.from(request.wrapped), request.header, request.chunkBytes));
      parentPort!.postMessage({ type: 'opened', id: request.id });
    } else if (request.type === 'append') {
      const batch = request.batch;
      encoders.get(request.id)?.append(Buffer.from(batch.buffer, batch.byteOffset, batch.byteLength), request.events);
    } else {
      const failure = failures.get(request.id);
      failures.delete(request.id);
      const encoder = encoders.get(request.id);
      encoders.delete(request.id);
      if (failure || !encoder) parentPort!.postMessage({ type: 'closed', id: request.id, error: failure ?? 'unknown recording' });
      else parentPort!.postMessage({ type: 'closed', id: request.id, summary: encoder.close() });
    }
  } catch (error) {
    failures.set(request.id, error instanceof Error ? error.message : String(error));
    if (request.type === 'open') parentPort!.postMessage({ type: 'opened', id: request.id, error: failures.get(request.id) });
    if (request.type === 'close') {
      failures.delete(request.id);
      parentPort!.postMessage({ type: 'closed', id: request.id, error: error instanceof Error ? error.message : String(error) });
    }
  }
});
