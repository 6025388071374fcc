// Session recordings: encrypted asciicast v2 files, their reader, playback and HTTP access.
export { createRecorder, type Recorder, type RecorderOptions } from './recorder.js';
export { createRecordingReader, type RecordingReader } from './files.js';
export { decryptRecording, parseAsciicast, outputText, replay } from './playback.js';
export { createLocalRecordingKeys } from './local-keys.js';
export { recordingRoutes, recordingSearchRoutes, type RecordingIndex } from './routes.js';
