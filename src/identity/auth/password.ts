// Local passwords: argon2id hashes, a strength check (zxcvbn-ts, score >= 3) and constant-time handling of unknown users.
import { hash, verify } from '@node-rs/argon2';
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { WardError } from '../../platform/errors.js';

export const MIN_PASSWORD_SCORE = 3;
const MAX_PASSWORD_LENGTH = 256;

let estimator: ZxcvbnFactory | undefined;

function strengthEstimator(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
  });
  return estimator;
}

/** Refuses guessable passwords with PASSWORD_TOO_WEAK and the estimator's advice (never the password). */
export function assertStrongPassword(password: string, userInputs: string[]): void {
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new WardError('VALIDATION_FAILED', `A password may be at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  // The estimator is quadratic in length; the first 100 characters decide guessability anyway.
  // Names count whole and word by word, so "winston-churchill" is weak for Winston Churchill.
  const inputs = [...new Set(userInputs.flatMap((s) => [s, ...s.split(/[\s._@-]+/)]).map((s) => s.toLowerCase()).filter((s) => s.length >= 3))];
  const result = strengthEstimator().check(password.slice(0, 100), inputs);
  if (result.score < MIN_PASSWORD_SCORE) {
    const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => Boolean(s));
    throw new WardError(
      'PASSWORD_TOO_WEAK',
      `The password is too easy to guess (strength ${result.score} of 4, at least ${MIN_PASSWORD_SCORE} needed).${advice.length ? ' ' + advice.join(' ') : ''}`,
      { score: result.score, minimumScore: MIN_PASSWORD_SCORE },
    );
  }
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(passwordHash: string | null, password: string): Promise<boolean>;
}

export function createPasswordHasher(options?: { memoryCost: number; timeCost: number }): PasswordHasher {
  const params = options ? { memoryCost: options.memoryCost, timeCost: options.timeCost } : {};
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, params),
    async verify(passwordHash, password) {
      // Unknown users and users without a password cost the same as a wrong password: verify against a dummy hash.
      if (!passwordHash) {
        dummy ??= hash('ward-dummy-password-for-timing', params);
        await verify(await dummy, password.slice(0, MAX_PASSWORD_LENGTH)).catch(() => false);
        return false;
      }
      try {
        return await verify(passwordHash, password.slice(0, MAX_PASSWORD_LENGTH + 1));
      } catch {
        return false;
      }
    },
  };
}
