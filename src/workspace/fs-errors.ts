/** The `code` of a Node system error (`ENOENT`, `ELOOP`, ...), or undefined for anything else. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

/** True for errors that mean "this path changed or cannot be read", which a walk steps over. */
export function isVanishedOrForbidden(err: unknown): boolean {
  const code = errorCode(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM' || code === 'ELOOP';
}
