import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { synthesize } from './app.js';
import { InfraConfigError } from './errors.js';

let dir: string;
let lambdaCodeDir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-synth-'));
  lambdaCodeDir = path.join(dir, 'lambda');
  fs.mkdirSync(lambdaCodeDir);
  fs.writeFileSync(path.join(lambdaCodeDir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "{}" });\n');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;

describe('synthesize', () => {
  it('writes <StackName>.template.json per stack and a cloud assembly cdk deploy can take', () => {
    const outdir = path.join(dir, 'out');
    const { templates, outdir: written } = synthesize({ api: true, outdir, lambdaCodeDir, region: 'us-east-1' });
    expect(written).toBe(outdir);
    expect(templates).toEqual([
      path.join(outdir, 'claude-code-agent-stack.template.json'),
      path.join(outdir, 'claude-code-agent-api-stack.template.json'),
    ]);
    const agent = readJson(templates[0]!);
    expect(Object.values(agent.Resources).map((r: any) => r.Type)).toContain('AWS::BedrockAgentCore::Runtime');
    expect(agent.Outputs.ModelId.Value).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
    // Session storage is on by default, in the written template as in the stack.
    expect(agent.Resources.Runtime.Properties).toMatchObject({
      FilesystemConfigurations: [{ SessionStorage: { MountPath: '/mnt/cca' } }],
      EnvironmentVariables: { CCA_SESSIONS_BASE: '/mnt/cca' },
    });
    const api = readJson(templates[1]!);
    expect(Object.values(api.Resources).map((r: any) => r.Type)).toContain('AWS::ApiGateway::UsagePlan');
    const manifest = readJson(path.join(outdir, 'manifest.json'));
    expect(Object.keys(manifest.artifacts)).toEqual(expect.arrayContaining(['claude-code-agent-stack', 'claude-code-agent-api-stack']));
    expect(manifest.artifacts['claude-code-agent-stack'].environment).toBe('aws://unknown-account/us-east-1');
    // The Lambda code travels as an asset of the assembly.
    const assets = readJson(path.join(outdir, 'claude-code-agent-api-stack.assets.json'));
    expect(Object.values(assets.files).map((f: any) => f.source.packaging)).toContain('zip');
  });

  it('writes the runtime without session storage when told', () => {
    const { templates } = synthesize({ sessionStorage: false, outdir: path.join(dir, 'nomount'), lambdaCodeDir });
    const runtime = readJson(templates[0]!).Resources.Runtime.Properties;
    expect(runtime.FilesystemConfigurations).toBeUndefined();
    expect(runtime.EnvironmentVariables.CCA_SESSIONS_BASE).toBeUndefined();
  });

  it('phase 1 writes only the agent stack, without the runtime', () => {
    const { templates } = synthesize({ deployRuntime: false, outdir: path.join(dir, 'p1') });
    expect(templates.map((t) => path.basename(t))).toEqual(['claude-code-agent-stack.template.json']);
    expect(JSON.stringify(readJson(templates[0]!))).not.toContain('AWS::BedrockAgentCore::Runtime');
  });

  it('refuses options that cannot be deployed', () => {
    expect(() => synthesize({ outdir: path.join(dir, 'x'), region: 'nowhere' })).toThrow(InfraConfigError);
    expect(() => synthesize({ outdir: path.join(dir, 'x'), imageTag: '-bad' })).toThrow(InfraConfigError);
    expect(() => synthesize({ outdir: path.join(dir, 'x'), api: true, deployRuntime: false })).toThrow(InfraConfigError);
  });
});
