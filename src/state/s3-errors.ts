/** How S3's answers are read, the same way by every part that keeps session objects there. */

/**
 * A key that is not there. A missing bucket is a broken deployment, not a missing key. S3 answers a
 * GET of a missing key 403 to a caller it would not let list that key (the runtime's role has no
 * ListBucket under sessions/, the Lambda's only with a prefix condition a GET does not satisfy):
 * that reads as missing too; a real lack of access shows at the next write, which fails.
 * @example if (isMissingObject(err)) return undefined;
 */
export function isMissingObject(err: unknown): boolean {
  const e = err as { name?: unknown; $metadata?: { httpStatusCode?: number } } | null | undefined;
  const status = e?.$metadata?.httpStatusCode;
  return e?.name === 'NoSuchKey' || e?.name === 'AccessDenied' || (status === 404 && e?.name !== 'NoSuchBucket') || status === 403;
}
