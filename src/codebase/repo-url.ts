/**
 * What a request may name as its repository: an http(s) URL without credentials in it (they would
 * be recorded with the request), or a local path / file:// URL when the operator allows it. A ref
 * is a branch, a tag or a commit id; nothing that git could read as an option.
 */
import path from 'node:path';
import { ValidationError } from '../errors/index.js';

/** A remote the service may fetch from. */
export type RepositorySource = { kind: 'http'; url: URL; host: string; port: number } | { kind: 'local'; path: string };

const MAX_URL = 2048;
const MAX_REF = 255;
const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * Checks a repository URL; throws ValidationError (field `repository.url`) saying what to send instead.
 * @example parseRepositoryUrl('https://github.com/octo/hello.git', { allowLocal: false }).host // 'github.com'
 */
export function parseRepositoryUrl(raw: string, opts: { allowLocal: boolean }): RepositorySource {
  const field = 'repository.url';
  const bad = (why: string) => new ValidationError(`repository.url ${why}`, { field });
  if (raw.length === 0 || raw.length > MAX_URL) throw bad(`must be 1-${MAX_URL} characters, e.g. "https://github.com/owner/repo.git".`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\s]/.test(raw)) throw bad('must not contain spaces or control characters.');
  if (/^[\w.-]+@[\w.-]+:/.test(raw) || raw.startsWith('ssh://') || raw.startsWith('git://')) {
    throw bad(
      'uses SSH or the git protocol, which the service does not fetch with; use the https URL of the repository, with git_token for a private one.',
    );
  }
  if (raw.startsWith('/') || raw.startsWith('file:')) {
    if (!opts.allowLocal) {
      throw bad(
        "names a path on the service's machine, which this service does not allow (the operator can, with --git-allow-local / CCA_GIT_ALLOW_LOCAL=1); use an https URL.",
      );
    }
    const local = raw.startsWith('file:') ? fileUrlPath(raw, bad) : raw;
    return { kind: 'local', path: path.resolve(local) };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad('is not a URL; send an https URL such as "https://github.com/owner/repo.git".');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw bad(`has the scheme "${url.protocol}"; only https and http are fetched.`);
  if (url.username !== '' || url.password !== '') {
    throw bad(
      'carries a user name or token, which would be recorded with the request; send the URL without it and the token in git_token.',
    );
  }
  if (url.search !== '' || url.hash !== '') throw bad('must not have a query string or fragment.');
  if (url.hostname === '') throw bad('has no host.');
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { kind: 'http', url, host: url.hostname.replace(/^\[|\]$/g, '').toLowerCase(), port };
}

/** The URL as shown to the run and recorded: the same text git was given, never with a credential. */
export function sourceText(source: RepositorySource): string {
  return source.kind === 'http' ? source.url.href : source.path;
}

/** Whether a ref names a commit by its id (fetched as is) rather than a branch or tag. */
export function isCommitId(ref: string): boolean {
  return COMMIT_ID.test(ref);
}

/**
 * Checks a ref the way `git check-ref-format` would, plus what could pass for an option.
 * @example assertRef('release/1.2') // ok; assertRef('-x') throws
 */
export function assertRef(ref: string, field = 'repository.ref'): void {
  const bad = (why: string) =>
    new ValidationError(`${field} ${why} Use a branch ("main"), a tag ("v1.2.0") or a full commit id.`, { field });
  if (ref.length === 0 || ref.length > MAX_REF) throw bad(`must be 1-${MAX_REF} characters.`);
  if (isCommitId(ref)) return;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref))
    throw bad('has a character refs may not have (space, ~ ^ : ? * [ \\ or a control character).');
  if (ref.startsWith('-') || ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock')) {
    throw bad('has a form refs may not have (a leading "-" or "/", or a trailing "/", "." or ".lock").');
  }
  if (ref.includes('..') || ref.includes('//') || ref.includes('@{') || ref === '@' || ref.split('/').some((p) => p.startsWith('.'))) {
    throw bad('has a form refs may not have (".." , "//", "@{", or a part starting with ".").');
  }
}

function fileUrlPath(raw: string, bad: (why: string) => ValidationError): string {
  try {
    const url = new URL(raw);
    if (url.host !== '' && url.host !== 'localhost') throw bad('names a file on another host.');
    return decodeURIComponent(url.pathname);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw bad('is not a valid file:// URL.');
  }
}
