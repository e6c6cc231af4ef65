/**
 * Git credentials the operator registers per API key and host (`cca keys update ID
 * --git-credential github.com=TOKEN`), which the service uses to clone and push outside the
 * sandbox. Each token is sealed with AES-256-GCM under a 32-byte key the composition root derives
 * from the signing secret (`signer.deriveKey(GIT_CREDENTIALS_KEY_LABEL)`): the database holds no
 * token in clear, and a sealed token is bound to its key id and host, so it cannot be moved to
 * another. Only hosts are ever listed; a token leaves this file only through `gitCredentialFor`.
 */
import { AppError, ValidationError } from '../errors/index.js';
import type { Db } from '../store/index.js';
import { open, seal } from './sealed.js';

/** The label the sealing key is derived with from the signing secret. */
export const GIT_CREDENTIALS_KEY_LABEL = 'git-credentials';

const MAX_TOKEN_CHARS = 4096;
// A host name or IPv4 address, optionally with a port; IPv6 in brackets.
const HOST = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/;

/** A sealed credential that does not open with this key (the signing secret changed, or the row was altered). */
export class GitCredentialUnreadableError extends AppError {
  readonly status = 503;
  readonly code = 'git_credential_unreadable';
}

/**
 * The host a credential is registered for, in its one form: lower case, no scheme, path or
 * user. Throws ValidationError naming the expected form.
 * @example normalizeGitHost('GitHub.com') // 'github.com'
 */
export function normalizeGitHost(raw: string): string {
  const host = raw.trim().toLowerCase().replace(/\.$/, '');
  if (!HOST.test(host)) {
    throw new ValidationError(
      `"${raw}" is not a git host: give a host name with an optional port, e.g. github.com or git.example.com:8443.`,
    );
  }
  return host;
}

/**
 * Every key's credential hosts (keys without any are absent), read without the sealing key: what
 * `cca keys list` and `show` print.
 */
export function gitCredentialHosts(db: Db): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const rows = db.prepare<[], { key_id: string; host: string }>('SELECT key_id, host FROM key_git_credentials ORDER BY key_id, host').all();
  for (const { key_id, host } of rows) out.set(key_id, [...(out.get(key_id) ?? []), host]);
  return out;
}

/** Typed access to key_git_credentials; tokens sealed on the way in, opened on the way out. */
export class GitCredentialStore {
  readonly #key: Buffer;
  private readonly stmts;

  constructor(db: Db, sealingKey: Buffer) {
    if (sealingKey.length !== 32) throw new Error('The git credential sealing key must be 32 bytes');
    this.#key = Buffer.from(sealingKey);
    this.stmts = {
      upsert: db.prepare(
        `INSERT INTO key_git_credentials (key_id, host, sealed, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (key_id, host) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      ),
      remove: db.prepare('DELETE FROM key_git_credentials WHERE key_id = ? AND host = ?'),
      get: db.prepare<[string, string], { sealed: Buffer }>('SELECT sealed FROM key_git_credentials WHERE key_id = ? AND host = ?'),
      hosts: db.prepare<[string], { host: string }>('SELECT host FROM key_git_credentials WHERE key_id = ? ORDER BY host'),
    };
  }

  /**
   * Registers (or replaces) the token of `keyId` for `host`. Throws ValidationError for a bad host
   * or token (never quoting the token).
   * @example store.set(key.id, 'github.com', 'github_pat_...');
   */
  set(keyId: string, host: string, token: string, now: Date = new Date()): void {
    const normalized = normalizeGitHost(host);
    if (token === '' || token.length > MAX_TOKEN_CHARS || /[\s\x00-\x1f\x7f]/.test(token)) {
      throw new ValidationError(
        `the token for ${normalized} must be 1 to ${MAX_TOKEN_CHARS} characters without spaces or control characters.`,
      );
    }
    this.stmts.upsert.run(keyId, normalized, this.seal(keyId, normalized, token), now.toISOString());
  }

  /** Removes the credential of `keyId` for `host`; false if there was none. */
  remove(keyId: string, host: string): boolean {
    return this.stmts.remove.run(keyId, normalizeGitHost(host)).changes > 0;
  }

  /** The hosts `keyId` has a credential for, sorted. */
  hosts(keyId: string): string[] {
    return this.stmts.hosts.all(keyId).map((r) => r.host);
  }

  /**
   * The token `keyId` registered for `host`, or undefined. Throws GitCredentialUnreadableError
   * when one is stored but does not open (fails closed: never a wrong or empty token).
   * @example const token = store.gitCredentialFor(key.id, new URL(repository.url).host);
   */
  gitCredentialFor(keyId: string, host: string): string | undefined {
    let normalized: string;
    try {
      normalized = normalizeGitHost(host);
    } catch {
      return undefined;
    }
    const row = this.stmts.get.get(keyId, normalized);
    return row === undefined ? undefined : this.open(keyId, normalized, row.sealed);
  }

  private seal(keyId: string, host: string, token: string): Buffer {
    return seal(this.#key, aad(keyId, host), token);
  }

  private open(keyId: string, host: string, sealed: Buffer): string {
    try {
      return open(this.#key, aad(keyId, host), sealed);
    } catch {
      throw new GitCredentialUnreadableError(
        `The git credential of API key ${keyId} for ${host} cannot be decrypted (the service's signing secret changed since it was ` +
          `registered, or the database was altered): register it again with cca keys update ${keyId} --git-credential ${host}=TOKEN.`,
      );
    }
  }
}

function aad(keyId: string, host: string): string {
  return `cca-git-credential\n${keyId}\n${host}`;
}
