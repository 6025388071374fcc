// Deadlines with millisecond resolution: a min-heap of (time, key). Tests drive it with tick() and a manual
// clock; production arms one real timer for the earliest deadline, so grants end on time, not on a cron minute.
import type { Clock } from '../platform/clock.js';

export interface DeadlineScheduler {
  /** Schedules (or moves) the deadline for key. */
  schedule(key: string, at: number): void;
  cancel(key: string): void;
  /** Runs every deadline due by clock.now(), in order. */
  tick(): Promise<void>;
  /** Arms a real timer (production). Without it, only tick() runs deadlines. */
  start(): void;
  stop(): void;
  readonly size: number;
}

interface Entry {
  key: string;
  at: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function createDeadlineScheduler(options: {
  clock: Clock;
  run: (key: string) => Promise<void>;
  onError?: (error: unknown, key: string) => void;
}): DeadlineScheduler {
  const heap: Entry[] = [];
  const current = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let armedAt = Infinity;
  let running = false;
  let ticking: Promise<void> | undefined;

  const less = (a: Entry, b: Entry) => a.at < b.at;
  function push(entry: Entry) {
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }
  function pop(): Entry | undefined {
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
  // Stale heap entries (moved or cancelled keys) are skipped lazily.
  function peekLive(): Entry | undefined {
    while (heap.length > 0) {
      const top = heap[0]!;
      if (current.get(top.key) === top.at) return top;
      pop();
    }
    return undefined;
  }

  function arm() {
    if (!running) return;
    const next = peekLive();
    if (!next) {
      if (timer) clearTimeout(timer);
      timer = undefined;
      armedAt = Infinity;
      return;
    }
    if (timer && armedAt <= next.at) return;
    if (timer) clearTimeout(timer);
    armedAt = next.at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.at - options.clock.now()));
    timer = setTimeout(() => {
      timer = undefined;
      armedAt = Infinity;
      void scheduler.tick();
    }, delay);
  }

  async function runDue() {
    for (;;) {
      const next = peekLive();
      if (!next || next.at > options.clock.now()) break;
      pop();
      current.delete(next.key);
      try {
        await options.run(next.key);
      } catch (error) {
        options.onError?.(error, next.key);
      }
    }
  }

  const scheduler: DeadlineScheduler = {
    schedule(key, at) {
      current.set(key, at);
      push({ key, at });
      arm();
    },
    cancel(key) {
      current.delete(key);
    },
    async tick() {
      // One runner at a time; a tick during a tick waits for it and then runs what became due.
      while (ticking) await ticking;
      ticking = runDue().finally(() => {
        ticking = undefined;
      });
      await ticking;
      arm();
    },
    start() {
      running = true;
      arm();
    },
    stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
      armedAt = Infinity;
    },
    get size() {
      return current.size;
    },
  };
  return scheduler;
}
