/**
 * The message of the ConfigError a config parser throws, for tests of what a bad setting says.
 */
import { expect } from 'vitest';
import { ConfigError } from '../../src/config/index.js';

/** The message of the ConfigError `fn` throws (fails the test if it throws nothing or something else). */
export function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}
