/**
 * Secrets the service keeps in its database, sealed with AES-256-GCM under a 32-byte key the
 * composition root derives from the signing secret: a copy of the database alone opens none, and
 * the additional data binds each sealed value to its row (a value moved to another key or host
 * does not open).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals `plain` under `key`, bound to `aad`.
 * @example const sealed = seal(key, `cca-git-credential\n${keyId}\n${host}`, token);
 */
export function seal(key: Buffer, aad: string, plain: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

/** Opens what `seal` made with the same key and `aad`; throws on any other key, data or format. */
export function open(key: Buffer, aad: string, sealed: Buffer): string {
  if (sealed[0] !== VERSION || sealed.length <= 1 + IV_BYTES + TAG_BYTES) throw new Error('unknown format');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 1 + IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
}
