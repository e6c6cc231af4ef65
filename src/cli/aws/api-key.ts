/**
 * `cca api-key`: the original's get_api_key.sh. Deployed: the API key's value from API Gateway
 * (`--save` writes ./.api_key as the original did, mode 0600). Locally: the key `cca serve` saved.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { loadConfig } from '../../config/index.js';
import type { CommandContext, CommandInput } from '../context.js';
import { EXIT } from '../io.js';
import { describeAwsError } from './aws-errors.js';
import { awsClients, withDefaults } from './clients.js';
import { readDeployment, resolveRegion, type DeploymentInfo } from './deployment.js';

/** The flags commander parsed for it (declared in commands/). */
type Flags = { save?: boolean; 'data-dir'?: string; region?: string };

/**
 * Runs `cca api-key`: prints the key alone on stdout (for `$(cca api-key)`); 0 found, 1 not.
 */
export async function runApiKey({ values }: CommandInput<Flags>, ctx: CommandContext): Promise<number> {
  const { env, io } = ctx;
  const { cwd } = withDefaults(ctx);
  const keyFile: string = path.join(loadConfig({ 'data-dir': values['data-dir'] }, env, undefined, cwd).dataDir, '.api_key');
  // Like the original's get_api_key.sh: ./.api_key, unless a data dir is named.
  const saveTo: string | undefined =
    values.save !== true ? undefined : values['data-dir'] === undefined ? path.join(cwd, '.api_key') : keyFile;
  const deployment: DeploymentInfo | undefined = readDeployment(cwd);
  const region: string = resolveRegion(values.region, deployment, env);

  if (deployment?.api_key_id === undefined) {
    if (deployment !== undefined) {
      io.stderr(`cca: deployment.json has no API (api_key_id): deploy it with "cca deploy-api". Looking at the local key instead.\n`);
    }
    try {
      io.stdout(`${fs.readFileSync(keyFile, 'utf8').trim()}\n`);
      return EXIT.ok;
    } catch {
      io.stderr(
        `cca: no local API key at ${keyFile}: start "cca serve" once (it writes one) or create one with "cca keys create --name me".\n`,
      );
      return EXIT.failure;
    }
  }

  const { apiGateway } = awsClients(region, env, ctx.clients);
  let value: string | undefined;
  try {
    value = (await apiGateway.send(new GetApiKeyCommand({ apiKey: deployment.api_key_id, includeValue: true }))).value;
  } catch (err) {
    io.stderr(`cca: ${describeAwsError(err, `API Gateway GetApiKey ${deployment.api_key_id}`)}\n`);
    return EXIT.failure;
  }
  if (value === undefined || value === '') {
    io.stderr(`cca: API Gateway returned no value for the key ${deployment.api_key_id}.\n`);
    return EXIT.failure;
  }
  io.stdout(`${value}\n`);
  if (saveTo !== undefined) {
    fs.mkdirSync(path.dirname(saveTo), { recursive: true, mode: 0o700 });
    fs.writeFileSync(saveTo, `${value}\n`, { mode: 0o600 });
    // writeFileSync keeps the mode of an existing file: make sure it is private.
    fs.chmodSync(saveTo, 0o600);
    const dir = path.relative(cwd, path.dirname(saveTo)) || '.';
    io.stderr(`Saved to ${saveTo} (mode 0600); cca api reads it with --data-dir ${dir}.\n`);
  }
  return EXIT.ok;
}
