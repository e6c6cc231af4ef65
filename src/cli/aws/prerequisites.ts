/**
 * What `cca deploy` needs before it touches AWS: Docker with buildx, a built checkout with a
 * Dockerfile, and working AWS credentials (checked without STS: a DescribeStacks of CDK's
 * toolkit stack, which also says whether the environment is bootstrapped).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { describeAwsError } from './aws-errors.js';
import { cdkPaths } from './cdk.js';
import type { ProcessRunner } from './process-runner.js';
import { describeStack } from './stacks.js';

/** CDK's bootstrap stack (the default qualifier's). */
export const TOOLKIT_STACK = 'CDKToolkit';

export type PrerequisiteResult = { ok: true; bootstrapped: boolean; buildx: string } | { ok: false; problems: string[] };

/**
 * Checks everything at once and reports every problem, not just the first.
 * @example const check = await checkPrerequisites({ run, cloudFormation, repoRoot, needDocker: true });
 */
export async function checkPrerequisites(opts: {
  run: ProcessRunner;
  cloudFormation: CloudFormationClient;
  repoRoot: string;
  /** false for `cca deploy-api`, which builds no image. */
  needDocker: boolean;
}): Promise<PrerequisiteResult> {
  const problems: string[] = [];
  let buildx = '';
  if (opts.needDocker) {
    const docker = await opts.run('docker', ['buildx', 'version']);
    if (docker.code === 127) {
      problems.push(
        'Docker is not installed: install Docker Desktop or Docker Engine with the buildx plugin (https://docs.docker.com/engine/install/).',
      );
    } else if (docker.code !== 0) {
      const said = `${docker.stderr}${docker.stdout}`.trim().split('\n')[0] ?? '';
      problems.push(
        `"docker buildx version" failed (${said}): install the buildx plugin (docker-buildx-plugin) and make sure the Docker daemon runs.`,
      );
    } else {
      buildx = docker.stdout.trim().split('\n')[0] ?? '';
    }
    if (!fs.existsSync(path.join(opts.repoRoot, 'Dockerfile')))
      problems.push(`No Dockerfile in ${opts.repoRoot}: run cca deploy from a full checkout.`);
  }
  const { cli, app } = cdkPaths(opts.repoRoot);
  if (!fs.existsSync(cli)) problems.push(`The CDK CLI is missing (${cli}): run "npm install" in ${opts.repoRoot}.`);
  if (!fs.existsSync(app)) problems.push(`The CDK app is not built (${app}): run "npm run build" in ${opts.repoRoot}.`);

  let bootstrapped = false;
  try {
    bootstrapped = (await describeStack(opts.cloudFormation, TOOLKIT_STACK)) !== undefined;
  } catch (err) {
    problems.push(describeAwsError(err, 'Checking AWS credentials (CloudFormation DescribeStacks)'));
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, bootstrapped, buildx };
}
