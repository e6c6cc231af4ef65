import { createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^[0-9a-f]{64}$/;

/** HMAC-SHA256 presigned-URL style signer. */
export class UrlSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length === 0) throw new Error('The URL signing secret is empty');
    // A private copy: a caller reusing its buffer must not change which links verify.
    this.#secret = Buffer.from(secret);
  }

  /** hex signature over `GET\n<key>\n<expiresUnixSeconds>` */
  /**
   * A key for another purpose, derived from the secret (so it survives restarts like the links do).
   * @example const cursorKey = signer.deriveKey('files-cursor')
   */
  deriveKey(label: string): Buffer {
    return createHmac('sha256', this.#secret).update(`derive\n${label}`).digest();
  }

  sign(key: string, expires: number): string {
    // Unambiguous although keys may hold "\n": expires is digits only, so the last "\n" splits.
    return createHmac('sha256', this.#secret).update(`GET\n${key}\n${expires}`).digest('hex');
  }

  /** True only for an unexpired link whose signature matches; `now` is unix seconds. */
  verify(key: string, expires: number, signature: string, now = Math.floor(Date.now() / 1000)): boolean {
    if (!Number.isSafeInteger(expires) || expires < 0 || !SIGNATURE.test(signature)) return false;
    if (now > expires) return false;
    const expected = Buffer.from(this.sign(key, expires), 'hex');
    const given = Buffer.from(signature, 'hex');
    // timingSafeEqual throws on a length mismatch, so check it first (the regex already should).
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
