/**
 * Which Node.js releases the service runs on. 22 is what the container and the API Lambda run;
 * 20 still works but is end-of-life (April 2026), and AWS SDK releases from January 2027 need 22.
 */

/** The supported releases, as `package.json` `engines` states them. */
export const SUPPORTED_NODE = 'Node.js 22 (recommended) or 20.19+ (end-of-life)';

/**
 * The one line the service prints at start on a Node.js older than 22 (it silences the AWS SDK's
 * own, longer warning), or undefined on 22 and later.
 * @example const note = nodeVersionWarning(process.version); if (note) io.stderr(`${note}\n`);
 */
export function nodeVersionWarning(version: string): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (!Number.isFinite(major) || major >= 22) return undefined;
  return (
    `WARNING: Node.js ${version} is end-of-life (Node 20 since April 2026): cca supports ${SUPPORTED_NODE}, ` +
    'and AWS SDK releases from January 2027 require Node.js 22. Upgrade to Node.js 22.'
  );
}
