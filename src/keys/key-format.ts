/**
 * The API key format `cca_<id>_<secret>`: the id is public (it names the row and shows in
 * listings), the secret never leaves the caller; only sha256 of the whole key is stored.
 */
import { createHash, randomBytes } from 'node:crypto';

// The secret is 32 random bytes in base64url without padding: 43 characters, and because
// 256 bits fill only 4 bits of the last character, its 2 low bits are zero. Checking that too
// means every string accepted here is one generateKey could have produced.
const KEY_FORMAT = /^cca_([0-9a-f]{12})_[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;

/** sha256 of the whole presented key, the only form in which keys are stored. */
export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/**
 * A fresh random key, its id and its hash.
 * @example const { id, key, hash } = generateKey(); // key = 'cca_1f2e3d4c5b6a_…'
 */
export function generateKey(): { id: string; key: string; hash: Buffer } {
  const id = randomBytes(6).toString('hex');
  const key = `cca_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: hashKey(key) };
}

/**
 * The id of a well-formed key, or undefined when the string cannot be a key.
 * @example parseKey('cca_1f2e3d4c5b6a_…')?.id // '1f2e3d4c5b6a'
 */
export function parseKey(presented: string): { id: string } | undefined {
  const match = KEY_FORMAT.exec(presented);
  return match?.[1] === undefined ? undefined : { id: match[1] };
}
