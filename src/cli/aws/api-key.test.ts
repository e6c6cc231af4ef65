/** `cca api-key`. API Gateway's GetApiKey goes to aws-sdk-client-mock: it has no local peer. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APIGatewayClient, GetApiKeyCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingIo } from '../../../test/support/aws-fakes.js';
import { apiKeyCommand } from '../entries.js';
import { writeDeployment, type DeploymentInfo } from './deployment.js';

const DEPLOYMENT: DeploymentInfo = {
  region: 'us-east-1',
  stack: 's',
  api_stack: 'a',
  bucket: 'b',
  repository_uri: 'r',
  runtime_arn: 'arn',
  runtime_id: 'id',
  model_id: 'm',
  image_tag: 't',
  api_endpoint: 'https://x.execute-api.us-east-1.amazonaws.com/prod/',
  api_key_id: 'key123',
  deployed_at: '2025-06-01T00:00:00.000Z',
};

describe('cca api-key', () => {
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-api-key-'));
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('locally prints the key cca serve saved, or says how to get one', async () => {
    const missing = recordingIo();
    expect(await apiKeyCommand([], {}, missing, { cwd })).toBe(1);
    expect(missing.err).toContain('start "cca serve" once');
    fs.mkdirSync(path.join(cwd, 'data'));
    fs.writeFileSync(path.join(cwd, 'data', '.api_key'), 'cca_local_key\n');
    const io = recordingIo();
    expect(await apiKeyCommand(['--data-dir', 'data'], {}, io, { cwd })).toBe(0);
    expect(io.out).toBe('cca_local_key\n');
  });

  it('deployed: GetApiKey with includeValue; --save writes ./.api_key with mode 0600', async () => {
    writeDeployment(cwd, DEPLOYMENT);
    const apiGateway = new APIGatewayClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const mock = mockClient(apiGateway);
    mock.on(GetApiKeyCommand).resolves({ id: 'key123', value: 'deployed-key-value' });
    const io = recordingIo();
    expect(await apiKeyCommand(['--save'], {}, io, { cwd, clients: { apiGateway } })).toBe(0);
    expect(mock.commandCalls(GetApiKeyCommand)[0]?.args[0].input).toEqual({ apiKey: 'key123', includeValue: true });
    expect(io.out).toBe('deployed-key-value\n');
    const file = path.join(cwd, '.api_key');
    expect(fs.readFileSync(file, 'utf8')).toBe('deployed-key-value\n');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(io.err).toContain('cca api reads it with --data-dir .');

    mock.reset();
    mock.on(GetApiKeyCommand).rejects(Object.assign(new Error('Invalid API Key identifier specified'), { name: 'NotFoundException' }));
    const gone = recordingIo();
    expect(await apiKeyCommand([], {}, gone, { cwd, clients: { apiGateway } })).toBe(1);
    expect(gone.err).toContain('API Gateway GetApiKey key123 failed (NotFoundException: Invalid API Key identifier specified)');
  });
});
