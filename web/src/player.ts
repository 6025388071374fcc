// asciinema-player for the console: recordings fetched with the session token (the player's own fetch cannot send
// it), and a live driver that reads the gateway's watch stream with fetch, since EventSource cannot send it either.
import * as AsciinemaPlayer from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { ApiError, getToken } from './api';

export type Player = ReturnType<typeof AsciinemaPlayer.create>;

const playerOptions = { fit: 'width' as const, terminalFontSize: 'small', controls: true, idleTimeLimit: 2 };

async function failure(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new ApiError(response.status, body?.error?.code ?? `HTTP_${response.status}`, body?.error?.message ?? `The server answered ${response.status}.`);
}

/** Plays a sealed recording; rejects with a readable ApiError when the server refuses it. */
export async function playRecording(id: string, element: HTMLElement): Promise<Player> {
  const response = await fetch(`/api/v1/recordings/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${getToken() ?? ''}` } });
  if (!response.ok) throw await failure(response);
  const cast = await response.text();
  return AsciinemaPlayer.create({ data: cast }, element, { ...playerOptions, autoPlay: true });
}

/** The driver interface asciinema-player calls for a source given as a function (its built-in drivers use it too). */
type Dispatch = (event: string, data?: unknown) => void;
interface LiveDriver {
  play(): boolean;
  stop(): void;
  getTiming(): { time: number; rate: number; sampledAt: number } | null;
}

/**
 * Streams a live session into the player. `onEnd` hears the reason the stream ended (session terminated, ended,
 * or a refusal from the server, as readable text).
 */
export function watchLive(sessionId: string, element: HTMLElement, onEnd: (message: string) => void): Player {
  const abort = new AbortController();
  let startedAt = 0;
  const timing = () => ({ time: startedAt ? (performance.now() - startedAt) / 1000 : 0, rate: 1, sampledAt: performance.timeOrigin + performance.now() });
  const driver = ({ dispatch }: { dispatch: Dispatch }): LiveDriver => {
    const handle = (event: string | undefined, data: string) => {
      const message = JSON.parse(data) as unknown;
      if (event === 'done') {
        dispatch('ended', { message: 'Session ended' });
        onEnd((message as { reason?: string }).reason ?? 'session ended');
      } else if (Array.isArray(message)) {
        const [, code, payload] = message as [number, string, string];
        if (code === 'o') dispatch('output', payload);
        else if (code === 'r') {
          const [cols, rows] = payload.split('x').map(Number);
          dispatch('resize', { cols, rows });
        }
      } else {
        const size = message as { cols: number; rows: number };
        dispatch('reset', { size: { cols: size.cols, rows: size.rows } });
        dispatch('playing');
      }
    };
    const read = async () => {
      const response = await fetch(`/api/v1/gateway/ssh/sessions/${encodeURIComponent(sessionId)}/watch`, {
        headers: { authorization: `Bearer ${getToken() ?? ''}`, accept: 'text/event-stream' },
        signal: abort.signal,
      });
      if (!response.ok || !response.body) throw await failure(response);
      startedAt = performance.now();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          let event: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length) handle(event, data.join('\n'));
        }
      }
    };
    return {
      play() {
        dispatch('play');
        read().catch((error: unknown) => {
          if (abort.signal.aborted) return;
          dispatch('ended', { message: 'Stream ended' });
          onEnd(error instanceof ApiError ? `${error.message} (${error.code})` : 'The live stream was interrupted.');
        });
        return true;
      },
      stop: () => abort.abort(),
      getTiming: () => (startedAt ? timing() : null),
    };
  };
  const player = AsciinemaPlayer.create(driver as never, element, { ...playerOptions, autoPlay: true, controls: false });
  const dispose = player.dispose.bind(player);
  player.dispose = () => {
    abort.abort();
    dispose();
  };
  return player;
}
