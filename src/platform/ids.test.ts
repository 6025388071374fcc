import { describe, expect, it } from 'vitest';
import { validate, version } from 'uuid';
import { idTime, newId } from './ids.js';

describe('newId', () => {
  it('makes RFC 9562 version-7 UUIDs that the uuid package validates', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newId();
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
      expect('89ab').toContain(id[19]);
    }
  });

  it('encodes the creation time', () => {
    // Later than any id made so far in this process, so monotonic ordering does not move it.
    const at = Date.UTC(2090, 10, 23, 10, 0, 0, 123);
    expect(idTime(newId(at))).toBe(at);
  });

  it('keeps ids strictly increasing, even thousands within one millisecond', () => {
    const at = Date.UTC(2027, 0, 1);
    const ids = Array.from({ length: 10_000 }, () => newId(at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never goes backwards when the clock does', () => {
    const first = newId(Date.UTC(2028, 0, 1));
    const second = newId(Date.UTC(2027, 0, 1));
    expect(second > first).toBe(true);
  });
});
