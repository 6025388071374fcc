// A wrapper for secret values so they cannot slip into logs, errors or JSON by accident.
import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

export class Secret<T = string> {
  readonly #value: T;
  constructor(value: T) {
    this.#value = value;
  }
  /** The only way to read the value; grep for `.reveal()` to audit every use. */
  reveal(): T {
    return this.#value;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  [inspect.custom](): string {
    return REDACTED;
  }
}

export function secret<T>(value: T): Secret<T> {
  return new Secret(value);
}
