/**
 * A real git smart-HTTP server for tests: a Node `http` server on 127.0.0.1 (OS-assigned port) in
 * front of Debian's `git http-backend` CGI, serving bare repositories made by `createRepo`. Clones,
 * fetches (by branch, tag or commit id) and pushes go through the real protocol (v0 and v2,
 * chunked and gzip request bodies), optionally behind Basic auth that answers 401 with
 * `WWW-Authenticate: Basic realm="git"` as real hosts do.
 *
 * Every git command here runs without the host's git config (GIT_CONFIG_NOSYSTEM, GIT_CONFIG_GLOBAL
 * =/dev/null), like the service's own git must; `gitEnv()` gives tests the same environment.
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';
const run = promisify(execFile);

/** What a request to the server was, for assertions. */
export interface GitRequest {
  method: string;
  /** The path without the query, e.g. `/app.git/info/refs`. */
  path: string;
  query: string;
  /** The Basic user that authenticated, if any. */
  user: string | undefined;
  status: number;
  contentEncoding: string | undefined;
  /** Bytes of the request body as received (before any gunzip). */
  bodyBytes: number;
}

export interface GitServerOptions {
  /** Require these Basic credentials on every request. */
  auth?: { username: string; password: string };
  host?: string;
}

export interface CreateRepoOptions {
  /** The default branch (HEAD) of the repository; `main` unless given. */
  branch?: string;
  /** Lightweight tags made on the first commit (so a tag and the head can differ). */
  tags?: string[];
  /** Later commits on the branch, each a set of files written (and added) over the previous tree. */
  extraCommits?: Array<Record<string, string | Buffer>>;
}

export interface CreatedRepo {
  /** The clone URL, without credentials. */
  url: string;
  /** The commit the branch points at. */
  head: string;
  /** Every commit in order, the first (the tags' commit) first. */
  commits: string[];
  /** The bare repository on disk. */
  dir: string;
}

export interface TestGitServer {
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  url: string;
  /** The directory of the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  requests: GitRequest[];
  /** Makes the bare repository `<name>.git` with these files (paths may contain `/`). */
  createRepo(name: string, files: Record<string, string | Buffer>, opts?: CreateRepoOptions): Promise<CreatedRepo>;
  /** A repository of `bytes` of incompressible content in `files` files (for size limits). */
  createBigRepo(name: string, bytes: number, files?: number): Promise<CreatedRepo>;
  /** The commit a ref (`main`, `refs/heads/x`, `v1`) points at in `<name>.git`, or undefined. */
  readRef(name: string, ref: string): Promise<string | undefined>;
  /** The `Authorization` header value for the configured credentials (or any given). */
  basicAuth(username?: string, password?: string): string;
  close(): Promise<void>;
}

/** The environment for git commands in tests: no system or global config, fixed identity and dates. */
export function gitEnv(home: string = tmpdir()): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'Test Author',
    GIT_AUTHOR_EMAIL: 'author@example.com',
    GIT_COMMITTER_NAME: 'Test Author',
    GIT_COMMITTER_EMAIL: 'author@example.com',
    GIT_AUTHOR_DATE: '2024-01-01T00:00:00Z',
    GIT_COMMITTER_DATE: '2024-01-01T00:00:00Z',
  };
}

/** Runs git with the test environment; resolves its trimmed stdout, rejects with its stderr. */
export async function git(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd, env: { ...gitEnv(), ...env }, maxBuffer: 64 * 2 ** 20 });
    return stdout.trim();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`git ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/**
 * Starts the server; close it in afterAll/afterEach.
 * @example const server = await startGitServer({ auth: { username: 'x-access-token', password: 'tok' } });
 */
export async function startGitServer(opts: GitServerOptions = {}): Promise<TestGitServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'cca-git-server-'));
  const repos = path.join(root, 'repos');
  await mkdir(repos);
  const requests: GitRequest[] = [];
  const basicAuth = (u = opts.auth?.username ?? '', p = opts.auth?.password ?? '') =>
    `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://git.invalid');
    const record: GitRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname),
      query: url.search.replace(/^\?/, ''),
      user: undefined,
      status: 0,
      contentEncoding: req.headers['content-encoding'],
      bodyBytes: 0,
    };
    requests.push(record);
    req.on('data', (chunk: Buffer) => void (record.bodyBytes += chunk.length));
    if (opts.auth !== undefined) {
      if (req.headers.authorization !== basicAuth()) {
        record.status = 401;
        req.resume();
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
        res.end('Authentication required\n');
        return;
      }
      record.user = opts.auth.username;
    }
    serveCgi(req, res, record, repos);
  });
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  async function createRepo(name: string, files: Record<string, string | Buffer>, o: CreateRepoOptions = {}): Promise<CreatedRepo> {
    const branch = o.branch ?? 'main';
    const work = await mkdtemp(path.join(root, 'work-'));
    const bare = path.join(repos, `${name}.git`);
    await git(['init', '-q', '-b', branch, work], root);
    const commits: string[] = [];
    const commit = async (set: Record<string, string | Buffer>, message: string) => {
      for (const [file, content] of Object.entries(set)) {
        await mkdir(path.dirname(path.join(work, file)), { recursive: true });
        await writeFile(path.join(work, file), content);
      }
      await git(['add', '-A'], work);
      await git(['commit', '-q', '--allow-empty', '-m', message], work);
      commits.push(await git(['rev-parse', 'HEAD'], work));
    };
    await commit(files, 'Initial commit');
    for (const tag of o.tags ?? []) await git(['tag', tag], work);
    for (const [i, set] of (o.extraCommits ?? []).entries()) await commit(set, `Commit ${i + 2}`);
    await git(['init', '-q', '--bare', '-b', branch, bare], root);
    await git(['config', 'http.receivepack', 'true'], bare);
    await git(['config', 'uploadpack.allowReachableSHA1InWant', 'true'], bare);
    await git(['push', '-q', bare, `refs/heads/${branch}:refs/heads/${branch}`, '--tags'], work);
    await rm(work, { recursive: true, force: true });
    return { url: `${base}/${name}.git`, head: commits.at(-1) as string, commits, dir: bare };
  }

  return {
    url: base,
    root: repos,
    requests,
    createRepo,
    async createBigRepo(name, bytes, count = 4) {
      const files: Record<string, Buffer> = {};
      const each = Math.ceil(bytes / count);
      for (let i = 0; i < count; i++) files[`blobs/part-${i}.bin`] = randomBytes(each);
      return createRepo(name, { 'README.md': `# ${name}\n`, ...files });
    },
    async readRef(name, ref) {
      try {
        return await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], path.join(repos, `${name}.git`));
      } catch {
        return undefined;
      }
    },
    basicAuth,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Runs one request through git http-backend and relays its CGI answer (headers, `Status:`, body). */
function serveCgi(req: http.IncomingMessage, res: http.ServerResponse, record: GitRequest, projectRoot: string): void {
  const length = req.headers['content-length'];
  const env: NodeJS.ProcessEnv = {
    ...gitEnv(projectRoot),
    GIT_PROJECT_ROOT: projectRoot,
    GIT_HTTP_EXPORT_ALL: '1',
    // Large gzip'd negotiations and pushes: the default 10 MB would refuse a big repository's.
    GIT_HTTP_MAX_REQUEST_BUFFER: '1G',
    PATH_INFO: record.path,
    QUERY_STRING: record.query,
    REQUEST_METHOD: record.method,
    CONTENT_TYPE: req.headers['content-type'] ?? '',
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    ...(record.user !== undefined ? { REMOTE_USER: record.user } : {}),
    // Without it, a chunked body (git's large pushes) is read to EOF, which is what we give it.
    ...(length !== undefined ? { CONTENT_LENGTH: length } : {}),
    ...(req.headers['git-protocol'] !== undefined ? { HTTP_GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
    ...(req.headers['content-encoding'] !== undefined ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
  };
  const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => undefined); // the backend may answer (e.g. 404) without reading
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString()));

  let head = Buffer.alloc(0);
  let headersDone = false;
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = headerEnd(head);
    if (end === undefined) return;
    headersDone = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end.at).toString('latin1'));
    record.status = status;
    res.writeHead(status, headers);
    res.write(head.subarray(end.at + end.length));
  });
  child.on('close', (code) => {
    if (!headersDone) {
      record.status = 502;
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`git http-backend exited ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
}

function headerEnd(buf: Buffer): { at: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf === -1 && lf === -1) return undefined;
  if (lf === -1 || (crlf !== -1 && crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers[name] = value;
  }
  return { status, headers };
}
