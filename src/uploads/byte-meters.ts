/**
 * Counting streams for what arrives before it is unpacked: the compressed input (capped, so an
 * endless body stops) and the decompressed output (capped by the compression ratio, so a bomb
 * stops after a few megabytes, whatever sizes its headers declare).
 */
import { Transform, type TransformCallback } from 'node:stream';
import { overRatio, RATIO_GRACE_BYTES, tooManyBytes, type UploadLimits } from './upload-limits.js';

/** Counts bytes passing through; `check(total)` may throw to stop the stream. */
export class ByteMeter extends Transform {
  total = 0;

  constructor(private readonly check: (total: number) => void) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.total += chunk.length;
    try {
      this.check(this.total);
    } catch (err) {
      callback(err as Error);
      return;
    }
    callback(null, chunk);
  }
}

/**
 * Most bytes a body may have: the file bytes allowed plus room for the archive's own headers and
 * padding (tar: 512 bytes a header, records of 10 KiB; multipart: boundaries and part headers).
 * @example inputMeter(limits) // throws 413 once the body is over the upload limit and its framing
 */
export function inputMeter(limits: UploadLimits): ByteMeter {
  const framing = (limits.maxFiles * 2 + 16) * 2048 + RATIO_GRACE_BYTES;
  return new ByteMeter((total) => {
    if (total > limits.maxBytes + framing) throw tooManyBytes(limits);
  });
}

/**
 * Counts decompressed bytes against the compressed bytes `input` has read so far: more than
 * `maxRatio` times (past the grace) is a bomb, and the upload stops there.
 * @example pipeline(body, input, createGunzip(), ratioMeter(input, limits), parser)
 */
export function ratioMeter(input: ByteMeter, limits: UploadLimits): ByteMeter {
  return new ByteMeter((total) => {
    if (total > RATIO_GRACE_BYTES && total > input.total * limits.maxRatio) throw overRatio(limits);
  });
}
