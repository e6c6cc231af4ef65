/**
 * `auth: oauth_client_credentials`: the service gets an access token from the token endpoint with
 * its client id and secret (RFC 6749 §4.4, the secret sent as HTTP Basic), keeps it until shortly
 * before it expires, and fetches a new one when the server answers 401. Runs never see either.
 */
import { bodyBytes, type FetchLike } from './fetch.js';

/** What the token source needs (the operator's `auth` with its secret read from the environment). */
export interface ClientCredentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope: string | undefined;
}

/** A token is renewed this long before it expires. */
const EARLY_MS = 60_000;
/** Without `expires_in`, a token is kept this long. */
const DEFAULT_TTL_MS = 300_000;
const TOKEN_TIMEOUT_MS = 15_000;
const MAX_TOKEN_ANSWER = 64 * 1024;

/** The token endpoint refused or failed. */
export class TokenError extends Error {
  override name = 'TokenError';
}

/** One client's tokens: fetched once for all runs, renewed before they expire or when refused. */
export class TokenSource {
  private current: { token: string; until: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly creds: ClientCredentials,
    private readonly fetchFn: FetchLike = fetch,
    private readonly now: () => number = Date.now,
  ) {}

  /** A live token, fetched if there is none (concurrent callers share one request). */
  async token(): Promise<string> {
    if (this.current !== undefined && this.now() < this.current.until) return this.current.token;
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  /** Drops `token` (the server refused it), so the next call fetches another. */
  invalidate(token: string): void {
    if (this.current?.token === token) this.current = undefined;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.creds.scope !== undefined) form.set('scope', this.creds.scope);
    const basic = Buffer.from(`${encodeURIComponent(this.creds.clientId)}:${encodeURIComponent(this.creds.clientSecret)}`).toString(
      'base64',
    );
    let res: Response;
    try {
      res = await this.fetchFn(this.creds.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(TOKEN_TIMEOUT_MS),
      });
    } catch (err) {
      throw new TokenError(`The token endpoint ${this.creds.tokenUrl} could not be reached: ${(err as Error).message}`);
    }
    const text = (await res.text()).slice(0, MAX_TOKEN_ANSWER);
    let body: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      // Reported below, with the status.
    }
    if (!res.ok || typeof body.access_token !== 'string' || body.access_token === '') {
      const why =
        typeof body.error === 'string'
          ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`
          : `HTTP ${res.status}`;
      throw new TokenError(`The token endpoint ${this.creds.tokenUrl} gave no access token (${why}).`);
    }
    const ttl = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : DEFAULT_TTL_MS;
    this.current = { token: body.access_token, until: this.now() + Math.max(0, ttl - Math.min(EARLY_MS, ttl / 2)) };
    return body.access_token;
  }
}

/**
 * Sends each request with `Authorization: Bearer <token>`; a 401 gets one retry with a new token.
 * @example oauthFetch(fetch, new TokenSource(creds))
 */
export function oauthFetch(inner: FetchLike, tokens: TokenSource): FetchLike {
  return async (url, init) => {
    // The transports send strings; held as bytes so the retry can send the same body.
    const body = init?.body === undefined || init.body === null ? undefined : bodyBytes(init.body);
    const send = async (token: string) => {
      const headers = new Headers(init?.headers);
      headers.set('authorization', `Bearer ${token}`);
      return inner(url, { ...init, headers, ...(body !== undefined ? { body } : {}) });
    };
    const first = await tokens.token();
    const res = await send(first);
    if (res.status !== 401) return res;
    await res.body?.cancel();
    tokens.invalidate(first);
    return send(await tokens.token());
  };
}
