/**
 * `cca logs`. Locally: the real log file, written by the real logger (`createLogger(level, { file })`)
 * and followed as it grows. Deployed: CloudWatch Logs and CloudFormation go to aws-sdk-client-mock
 * (they have no local peer).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordingIo } from '../../../test/support/aws-fakes.js';
import { createLogger } from '../../logging/index.js';
import { logsCommand } from '../entries.js';
import { writeDeployment, type DeploymentInfo } from './deployment.js';
import { formatLogLine, parseSince } from './log-lines.js';

const NOW = Date.parse('2025-06-01T18:00:00.000Z');
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await pause(10);
  }
}

describe('cca logs (local service log)', () => {
  let cwd: string;
  let file: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-logs-'));
    file = path.join(cwd, '.cca', 'logs', 'cca.log');
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('prints the lines of the last 10 minutes, formatted; --json as written', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const line = (minutesAgo: number, msg: string) =>
      JSON.stringify({
        level: 30,
        time: NOW - minutesAgo * 60_000,
        pid: 1,
        hostname: 'h',
        service: 'claude-code-agent',
        msg,
        session: 's1',
      });
    fs.writeFileSync(file, `${line(30, 'too old')}\n${line(5, 'recent')}\nnot json at all\n`);
    const io = recordingIo();
    expect(await logsCommand([], {}, io, { cwd, now: () => new Date(NOW) })).toBe(0);
    expect(io.out).toBe('2025-06-01T17:55:00.000Z INFO  recent session=s1\nnot json at all\n');
    expect(io.err).toContain(`Local service log ${file}`);

    const json = recordingIo();
    expect(await logsCommand(['--since', '1h', '--json'], {}, json, { cwd, now: () => new Date(NOW) })).toBe(0);
    expect(json.out.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('--follow prints what the service logger appends (to stderr and the file) until stopped, across a truncation', async () => {
    const logger = createLogger('info', { file });
    logger.info({ session: 'before' }, 'started');
    logger.flush();
    await until(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('started'));

    const io = recordingIo();
    const stop = new AbortController();
    const done = logsCommand(['--follow'], {}, io, { cwd, signal: stop.signal, sleep: () => pause(20) });
    await until(() => io.out.includes('started session=before'));
    logger.warn({ url: 'http://127.0.0.1:8080' }, 'listening — 日本語');
    logger.debug('below the level: not written');
    logger.flush();
    await until(() => io.out.includes('listening'));
    expect(io.out).toMatch(/WARN  listening — 日本語 url=http:\/\/127\.0\.0\.1:8080\n$/);

    // Rotated or truncated: read again from the start.
    fs.truncateSync(file, 0);
    fs.appendFileSync(file, `${JSON.stringify({ level: 50, time: Date.now(), msg: 'after rotation' })}\n`);
    await until(() => io.out.includes('after rotation'));
    stop.abort();
    expect(await done).toBe(0);
    expect(io.out).not.toContain('below the level');
  });

  it('says when there is no log file yet', async () => {
    const io = recordingIo();
    expect(await logsCommand([], {}, io, { cwd })).toBe(1);
    expect(io.err).toBe(`cca: no service log at ${file} yet: cca serve writes it while it runs (--follow waits for it).\n`);
  });

  it('refuses a bad --since or --source', async () => {
    const io = recordingIo();
    expect(await logsCommand(['--since', 'yesterday'], {}, io, { cwd })).toBe(2);
    expect(await logsCommand(['--source', 'db'], {}, io, { cwd })).toBe(2);
    expect(io.err).toContain('--since must be a duration');
    expect(io.err).toContain('--source must be runtime or api');
    expect(parseSince('2h')).toBe(7_200_000);
    expect(formatLogLine('{"level":30,"time":0,"msg":"x","a":{"b":1}}')).toBe('1970-01-01T00:00:00.000Z INFO  x a={"b":1}');
  });
});

describe('cca logs (CloudWatch Logs)', () => {
  const DEPLOYMENT: DeploymentInfo = {
    region: 'us-east-1',
    stack: 's',
    api_stack: 'claude-code-agent-api-stack',
    bucket: 'b',
    repository_uri: 'r',
    runtime_arn: 'arn',
    runtime_id: 'claude_code_agent_stack-AbCdEf1234',
    model_id: 'm',
    image_tag: 't',
    deployed_at: '2025-06-01T00:00:00.000Z',
  };
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'cca-logs-aws-'));
    writeDeployment(cwd, DEPLOYMENT);
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };

  it("reads the runtime's group from --since, every page", async () => {
    const logs = new CloudWatchLogsClient({ region: 'us-east-1', credentials });
    const mock = mockClient(logs);
    mock
      .on(FilterLogEventsCommand)
      .resolvesOnce({
        events: [
          { eventId: '1', timestamp: NOW - 1000, logStreamName: 'stream-a', message: '{"level":30,"time":1,"msg":"run started"}\n' },
        ],
        nextToken: 'p2',
      })
      .resolvesOnce({ events: [{ eventId: '2', timestamp: NOW - 500, logStreamName: 'stream-a', message: 'plain text' }] });
    const io = recordingIo();
    expect(await logsCommand(['--since', '1h'], {}, io, { cwd, clients: { logs }, now: () => new Date(NOW) })).toBe(0);
    const inputs = mock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(inputs).toEqual([
      {
        logGroupName: '/aws/bedrock-agentcore/runtimes/claude_code_agent_stack-AbCdEf1234-DEFAULT',
        startTime: NOW - 3_600_000,
        nextToken: undefined,
      },
      {
        logGroupName: '/aws/bedrock-agentcore/runtimes/claude_code_agent_stack-AbCdEf1234-DEFAULT',
        startTime: NOW - 3_600_000,
        nextToken: 'p2',
      },
    ]);
    expect(io.out).toBe(
      '2025-06-01T17:59:59.000Z stream-a 1970-01-01T00:00:00.001Z INFO  run started\n2025-06-01T17:59:59.500Z stream-a plain text\n',
    );
  });

  it('--source api finds the Lambda in the API stack; --follow polls from the newest event without repeats', async () => {
    const cloudFormation = new CloudFormationClient({ region: 'us-east-1', credentials });
    mockClient(cloudFormation)
      .on(DescribeStacksCommand)
      .resolves({
        Stacks: [
          {
            StackName: 'x',
            StackStatus: 'CREATE_COMPLETE',
            CreationTime: new Date(),
            Outputs: [{ OutputKey: 'FunctionName', OutputValue: 'cca-dispatch' }],
          },
        ],
      });
    const logs = new CloudWatchLogsClient({ region: 'us-east-1', credentials });
    const mock = mockClient(logs);
    const stop = new AbortController();
    mock
      .on(FilterLogEventsCommand)
      .resolvesOnce({ events: [{ eventId: 'a', timestamp: NOW, message: 'first' }] })
      // startTime is inclusive: the event at NOW comes again with a new one.
      .resolvesOnce({
        events: [
          { eventId: 'a', timestamp: NOW, message: 'first' },
          { eventId: 'b', timestamp: NOW + 10, message: 'second' },
        ],
      })
      .callsFake(() => {
        stop.abort();
        return { events: [{ eventId: 'b', timestamp: NOW + 10, message: 'second' }] };
      });
    const sleeps: number[] = [];
    const io = recordingIo();
    const code = await logsCommand(['--source', 'api', '--follow'], {}, io, {
      cwd,
      clients: { logs, cloudFormation },
      now: () => new Date(NOW),
      signal: stop.signal,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect(code).toBe(0);
    const inputs = mock.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input);
    expect(inputs.map((i) => [i.logGroupName, i.startTime])).toEqual([
      ['/aws/lambda/cca-dispatch', NOW - 600_000],
      ['/aws/lambda/cca-dispatch', NOW],
      ['/aws/lambda/cca-dispatch', NOW + 10],
    ]);
    expect(io.out.match(/first|second/g)).toEqual(['first', 'second']);
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('says when the log group does not exist yet', async () => {
    const logs = new CloudWatchLogsClient({ region: 'us-east-1', credentials });
    mockClient(logs)
      .on(FilterLogEventsCommand)
      .rejects(Object.assign(new Error('The specified log group does not exist.'), { name: 'ResourceNotFoundException' }));
    const io = recordingIo();
    expect(await logsCommand([], {}, io, { cwd, clients: { logs } })).toBe(1);
    expect(io.err).toContain('no log group /aws/bedrock-agentcore/runtimes/claude_code_agent_stack-AbCdEf1234-DEFAULT yet');
  });
});
