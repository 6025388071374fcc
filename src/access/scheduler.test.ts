import { describe, expect, it } from 'vitest';
import { createManualClock, systemClock } from '../platform/clock.js';
import { createDeadlineScheduler } from './scheduler.js';

describe('deadline scheduler', () => {
  it('runs due deadlines in time order on tick and leaves future ones', async () => {
    const clock = createManualClock(1_000);
    const ran: string[] = [];
    const scheduler = createDeadlineScheduler({ clock, run: async (key) => void ran.push(key) });
    scheduler.schedule('c', 3_000);
    scheduler.schedule('a', 1_500);
    scheduler.schedule('b', 2_000);
    clock.set(2_000);
    await scheduler.tick();
    expect(ran).toEqual(['a', 'b']);
    expect(scheduler.size).toBe(1);
  });

  it('moves a rescheduled deadline and forgets a cancelled one', async () => {
    const clock = createManualClock(0);
    const ran: string[] = [];
    const scheduler = createDeadlineScheduler({ clock, run: async (key) => void ran.push(key) });
    scheduler.schedule('moved', 100);
    scheduler.schedule('moved', 500);
    scheduler.schedule('gone', 100);
    scheduler.cancel('gone');
    clock.set(200);
    await scheduler.tick();
    expect(ran).toEqual([]);
    clock.set(500);
    await scheduler.tick();
    expect(ran).toEqual(['moved']);
  });

  it('keeps running other deadlines when one fails', async () => {
    const clock = createManualClock(0);
    const ran: string[] = [];
    const errors: string[] = [];
    const scheduler = createDeadlineScheduler({
      clock,
      run: async (key) => {
        if (key === 'bad') throw new Error('boom');
        ran.push(key);
      },
      onError: (_e, key) => errors.push(key),
    });
    scheduler.schedule('bad', 1);
    scheduler.schedule('good', 2);
    clock.set(5);
    await scheduler.tick();
    expect(ran).toEqual(['good']);
    expect(errors).toEqual(['bad']);
  });

  it('fires on its own with the real timer once started', async () => {
    const fired = new Promise<string>((resolve) => {
      const scheduler = createDeadlineScheduler({
        clock: systemClock,
        run: async (key) => {
          scheduler.stop();
          resolve(key);
        },
      });
      scheduler.start();
      scheduler.schedule('soon', Date.now() + 5);
    });
    expect(await fired).toBe('soon');
  });
});
