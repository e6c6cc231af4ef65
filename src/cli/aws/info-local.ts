/** `cca info` without deployment.json: the local service's data dir, storage, key file, log file, and whether it answers. */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { resolveEndpoint } from '../connection.js';
import { EXIT, type CliIo } from '../io.js';

/** The local service: data dir, storage, key file, and whether /health answers. */
export async function localInfo(
  values: { json?: boolean; 'data-dir'?: string; endpoint?: string },
  env: NodeJS.ProcessEnv,
  io: CliIo,
  cwd: string,
): Promise<number> {
  const config = loadConfig({ 'data-dir': values['data-dir'] }, env, undefined, cwd);
  const keyFile = path.join(config.dataDir, '.api_key');
  const healthUrl = new URL(resolveEndpoint(values.endpoint, env).href.replace(/\/invoke$/, '/health'));
  const health = await checkHealth(healthUrl);
  const storage =
    config.storage.kind === 'local'
      ? `local (${path.join(config.dataDir, 'artifacts')})`
      : `s3://${config.storage.bucket}/${config.storage.prefix}`;
  const report = {
    mode: 'local',
    data_dir: config.dataDir,
    data_dir_exists: fs.existsSync(config.dataDir),
    storage,
    api_key_file: keyFile,
    api_key_file_exists: fs.existsSync(keyFile),
    log_file: path.join(config.dataDir, 'logs', 'cca.log'),
    health_url: healthUrl.href,
    health,
  };
  if (values.json) {
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.ok;
  }
  const serving = health.ok
    ? `answers (${health.version ? `version ${health.version}, ` : ''}up ${health.uptime_s ?? '?'} s)`
    : `no answer (${health.error}): start it with "npm start"`;
  io.stdout(
    `Local service (no deployment.json here; "cca deploy" deploys to AWS):\n` +
      `  data dir:  ${report.data_dir}${report.data_dir_exists ? '' : ' (not created yet: cca serve creates it)'}\n` +
      `  storage:   ${storage}\n` +
      `  api key:   ${keyFile}${report.api_key_file_exists ? '' : ' (missing)'}\n` +
      `  log file:  ${report.log_file}\n` +
      `  endpoint:  ${healthUrl.origin}  ${serving}\n`,
  );
  return EXIT.ok;
}

type Health = { ok: true; status: number; version?: string; uptime_s?: number } | { ok: false; error: string };

/** GET /health on a connection of its own (no pooled socket to a server that has gone), 3 s at most. */
function checkHealth(url: URL): Promise<Health> {
  const get = url.protocol === 'https:' ? https.get : http.get;
  return new Promise((resolve) => {
    const req = get(url, { agent: false, timeout: 3000, headers: { accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) return resolve({ ok: false, error: `HTTP ${status}` });
        let body: { version?: unknown; uptime_s?: unknown } = {};
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        } catch {
          // Something answers, but not with our JSON: still up.
        }
        resolve({
          ok: true,
          status,
          ...(typeof body.version === 'string' ? { version: body.version } : {}),
          ...(typeof body.uptime_s === 'number' ? { uptime_s: body.uptime_s } : {}),
        });
      });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within 3 s'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ok: false, error: err.code ?? err.message }));
  });
}
