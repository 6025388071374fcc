// Finds and opens the encrypted recordings a gateway wrote (`<sessionId>-<n>.cast.enc` in its recording directory).
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { WardError } from '../platform/errors.js';
import type { RecordingKeys } from '../gateway/ssh/types.js';
import { decryptRecording } from './playback.js';

const RECORDING_ID = /^[0-9a-f-]{36}(-\d+)?$/;

export interface RecordingReader {
  /** Recording ids of a session, in channel order. */
  list(sessionId: string): Promise<string[]>;
  /** The plain asciicast v2 of a recording id, or of a session's first recording when given a session id. */
  asciicast(id: string): Promise<{ recordingId: string; asciicast: Buffer; sha256: string }>;
}

export function createRecordingReader(deps: { directory: string; keys: RecordingKeys }): RecordingReader {
  const reader: RecordingReader = {
    async list(sessionId) {
      const files = await readdir(deps.directory).catch(() => [] as string[]);
      return files
        .filter((file) => file.startsWith(`${sessionId}-`) && file.endsWith('.cast.enc'))
        .map((file) => file.slice(0, -'.cast.enc'.length))
        .sort((a, b) => Number(a.split('-').at(-1)) - Number(b.split('-').at(-1)));
    },
    async asciicast(id) {
      if (!RECORDING_ID.test(id)) throw new WardError('NOT_FOUND', 'No such recording.');
      const recordingId = /-\d+$/.test(id.slice(36)) ? id : (await reader.list(id))[0];
      if (!recordingId) throw new WardError('NOT_FOUND', 'No such recording.');
      const file = join(deps.directory, `${recordingId}.cast.enc`);
      const opened = await decryptRecording(file, deps.keys).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new WardError('NOT_FOUND', 'No such recording.');
        throw error;
      });
      return { recordingId, ...opened };
    },
  };
  return reader;
}
