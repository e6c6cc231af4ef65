/**
 * The message of the error a parser or check throws, for tests of what bad input is told.
 */
import { expect } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

/** The message of the error of class `type` that `fn` throws (fails the test if it throws nothing or something else). */
export function thrownMessage(fn: () => unknown, type: abstract new (...args: never[]) => Error): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(type);
    return (err as Error).message;
  }
  throw new Error(`expected a ${type.name}`);
}

/** The message of the ConfigError `fn` throws (fails the test if it throws nothing or something else). */
export function configError(fn: () => unknown): string {
  return thrownMessage(fn, ConfigError);
}
