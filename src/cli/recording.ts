// `ward recording export SESSION` writes plain asciicast v2 (for `asciinema play`); `ward play SESSION` replays it
// in this terminal. Both go through the API, which checks recordings.play and audits the playback.
import { writeFileSync } from 'node:fs';
import type { CommandGroup } from './context.js';
import { replay } from '../recording/playback.js';

export const recordingCommands: CommandGroup = (program, context) => {
  const fetchRecording = (id: string) => context.api().request<string>('GET', `/api/v1/recordings/${encodeURIComponent(id)}`);
  const recording = program.command('recording').description('Session recordings');
  recording
    .command('export')
    .description('Write a recording as plain asciicast v2 (asciinema play FILE accepts it)')
    .argument('<session>', 'session id (its first recording) or recording id (SESSION-N)')
    .option('-o, --output <file>', 'write to a file instead of standard output')
    .action(async (id: string, options: { output?: string }) => {
      const text = await fetchRecording(id);
      if (options.output) writeFileSync(options.output, text, { mode: 0o600 });
      else context.out.write(text);
    });
  program
    .command('play')
    .description('Replay a session recording in this terminal')
    .argument('<session>', 'session id or recording id')
    .option('-s, --speed <factor>', 'playback speed', '1')
    .option('--max-idle <seconds>', 'cap pauses at this many seconds', '2')
    .action(async (id: string, options: { speed: string; maxIdle: string }) => {
      const text = await fetchRecording(id);
      await replay(text, context.out, { speed: Number(options.speed) || 1, maxIdleSeconds: Number(options.maxIdle) || 2 });
    });
};
