import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigFlags } from './index.js';

const CWD = '/srv/app';
const DEFAULTS = { host: '127.0.0.1', port: 8080 };
const load = (flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = {}) => loadConfig(flags, env, DEFAULTS, CWD);

/** The ConfigError a call throws (fails the test if it throws nothing or something else). */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig precedence', () => {
  it('uses the defaults of the mode when neither flags nor environment say anything', () => {
    const config = loadConfig({}, {}, { host: '0.0.0.0', port: 9000 }, CWD);
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(9000);
    expect(config.dataDir).toBe(path.join(CWD, '.cca'));
    expect(config.storage).toEqual({ kind: 'local' });
    expect(config.publicUrl).toBeUndefined();
    expect(config.model).toBeUndefined();
    expect(config.modelMaxRetries).toBeUndefined();
  });

  it('lets the environment beat the defaults', () => {
    const config = load(
      {},
      {
        CCA_HOST: '0.0.0.0',
        CCA_PORT: '9001',
        CCA_DATA_DIR: 'env-data',
        CCA_STORAGE: 's3://env-bucket',
        CCA_PUBLIC_URL: 'https://env.example.com/',
        CCA_MODEL: 'env-model',
      },
    );
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 9001,
      dataDir: path.join(CWD, 'env-data'),
      storage: { kind: 's3', bucket: 'env-bucket', prefix: '' },
      publicUrl: 'https://env.example.com',
      model: 'env-model',
    });
  });

  it('lets flags beat the environment', () => {
    const env = {
      CCA_HOST: '0.0.0.0',
      CCA_PORT: '9001',
      CCA_DATA_DIR: 'env-data',
      CCA_STORAGE: 's3://env-bucket',
      CCA_PUBLIC_URL: 'https://env.example.com',
      CCA_MODEL: 'env-model',
    };
    const flags: ConfigFlags = {
      host: '10.0.0.1',
      port: '9002',
      'data-dir': '/var/lib/cca',
      storage: 'local',
      'public-url': 'http://flag.example.com:8443/base/',
      model: 'flag-model',
    };
    expect(load(flags, env)).toMatchObject({
      host: '10.0.0.1',
      port: 9002,
      dataDir: '/var/lib/cca',
      storage: { kind: 'local' },
      publicUrl: 'http://flag.example.com:8443/base',
      model: 'flag-model',
    });
  });

  it('treats blank environment values as unset', () => {
    const config = load({}, { CCA_HOST: '  ', CCA_PORT: '', CCA_MODEL: ' ' });
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8080);
    expect(config.model).toBeUndefined();
  });

  it('resolves a relative data dir against the given cwd, not the process cwd', () => {
    expect(load({ 'data-dir': 'data/../state' }).dataDir).toBe('/srv/app/state');
    expect(loadConfig({}, {}, DEFAULTS, '/elsewhere').dataDir).toBe('/elsewhere/.cca');
  });

  it.each(['abc', '70000', '-1', '80.5'])('rejects port %j with a ConfigError naming flag and variable', (port) => {
    const err = configError(() => load({ port }));
    expect(err.message).toContain('--port / CCA_PORT');
    expect(err.message).toContain(`"${port}"`);
  });

  it('rejects a public URL that is not http(s)', () => {
    expect(configError(() => load({ 'public-url': 'ftp://x.example.com' })).message).toMatch(/http\(s\) URL/);
    expect(configError(() => load({}, { CCA_PUBLIC_URL: 'not a url' })).message).toContain('CCA_PUBLIC_URL');
  });
});

describe('loadConfig storage', () => {
  it.each([
    ['local', { kind: 'local' }],
    ['s3://my-bucket', { kind: 's3', bucket: 'my-bucket', prefix: '' }],
    ['s3://my-bucket/', { kind: 's3', bucket: 'my-bucket', prefix: '' }],
    ['s3://my-bucket/prefix/', { kind: 's3', bucket: 'my-bucket', prefix: 'prefix' }],
    ['s3://my.bucket-1/a/b//', { kind: 's3', bucket: 'my.bucket-1', prefix: 'a/b' }],
  ])('parses %j', (storage, expected) => {
    expect(load({ storage }).storage).toEqual(expected);
  });

  it.each(['s3', 'S3://bucket', 's3://', 's3://B', 's3://Upper-Case', 'file:///tmp', 'Local', 'gs://bucket'])(
    'rejects %j with a message showing both valid forms',
    (storage) => {
      const err = configError(() => load({ storage }));
      expect(err.message).toContain('"local"');
      expect(err.message).toContain('s3://BUCKET[/PREFIX]');
      expect(err.message).toContain(`got "${storage}"`);
    },
  );
});

describe('loadConfig limits', () => {
  it('has the documented defaults', () => {
    expect(load().limits).toEqual({
      maxBodyBytes: 1024 * 1024,
      maxPromptChars: 100_000,
      defaultMaxTurns: 50,
      maxTurnsLimit: 200,
      defaultBudgetUsd: 5,
      budgetUsdLimit: 50,
      defaultTimeoutS: 900,
      timeoutSLimit: 3600,
      downloadUrlTtlS: 3600,
      defaultApprovalTimeoutS: 300,
      approvalTimeoutSLimit: 3600,
      maxFiles: 1000,
      maxFileBytes: 100 * 1024 * 1024,
      maxTotalBytes: 1024 * 1024 * 1024,
      maxWalkEntries: 100_000,
      maxRunEntries: 1_000_000,
      maxListedFiles: 1000,
      uploadRetryBaseMs: 5000,
    });
  });

  it('reads CCA_* numbers, trimming spaces and allowing fractional budgets', () => {
    const { limits } = load(
      {},
      { CCA_MAX_BODY_BYTES: ' 2048 ', CCA_MAX_TURNS: '7', CCA_MAX_BUDGET_USD: '0.25', CCA_TIMEOUT_S: '60', CCA_MAX_FILES: '3' },
    );
    expect(limits.maxBodyBytes).toBe(2048);
    expect(limits.defaultMaxTurns).toBe(7);
    expect(limits.defaultBudgetUsd).toBe(0.25);
    expect(limits.defaultTimeoutS).toBe(60);
    expect(limits.maxFiles).toBe(3);
  });

  it.each([
    ['CCA_MAX_BODY_BYTES', '1023', 'an integer from 1024 to'],
    ['CCA_MAX_TURNS', '0', 'an integer from 1 to 10000'],
    ['CCA_MAX_TURNS_LIMIT', '2.5', 'an integer'],
    ['CCA_TIMEOUT_S', '86401', 'an integer from 1 to 86400'],
    ['CCA_MAX_FILES', 'many', 'an integer'],
    ['CCA_MAX_BUDGET_USD', '-1', 'a number from 0.0001 to 100000'],
    ['CCA_MAX_BUDGET_USD_LIMIT', 'lots', 'a number'],
  ])('rejects %s=%j with a ConfigError naming the variable', (name, value, expected) => {
    const err = configError(() => load({}, { [name]: value }));
    expect(err.message).toContain(`${name} must be`);
    expect(err.message).toContain(expected);
    expect(err.message).toContain(`"${value}"`);
  });

  it('clamps defaults to the *_LIMIT maxima', () => {
    const { limits } = load(
      {},
      {
        CCA_MAX_TURNS: '500',
        CCA_MAX_TURNS_LIMIT: '20',
        CCA_MAX_BUDGET_USD: '30',
        CCA_MAX_BUDGET_USD_LIMIT: '2.5',
        CCA_TIMEOUT_S: '3000',
        CCA_TIMEOUT_S_LIMIT: '120',
      },
    );
    expect(limits).toMatchObject({
      defaultMaxTurns: 20,
      maxTurnsLimit: 20,
      defaultBudgetUsd: 2.5,
      budgetUsdLimit: 2.5,
      defaultTimeoutS: 120,
      timeoutSLimit: 120,
    });
  });

  it('keeps defaults under the maxima as they are', () => {
    const { limits } = load({}, { CCA_MAX_TURNS: '10', CCA_MAX_TURNS_LIMIT: '20' });
    expect(limits.defaultMaxTurns).toBe(10);
  });
});

describe('loadConfig tenancy limits', () => {
  const machine = { cpus: 2, totalMemBytes: 8 * 2 ** 30 };
  it('gives each key a quarter of the queue, 10 GiB of stored files, and keeps files 30 days by default', () => {
    const config = loadConfig({}, {}, DEFAULTS, CWD, machine);
    expect([config.maxRuns, config.maxQueue, config.maxQueuedPerKey]).toEqual([6, 24, 6]);
    expect(config.storageQuotaBytes).toBe(10_240 * 2 ** 20);
    expect(config.retentionDays).toBe(30);
  });

  it('derives the per-key share from CCA_MAX_QUEUE, and reads the three variables', () => {
    expect(loadConfig({}, { CCA_MAX_QUEUE: '10' }, DEFAULTS, CWD, machine).maxQueuedPerKey).toBe(3);
    const config = loadConfig(
      {},
      { CCA_MAX_QUEUED_PER_KEY: '2', CCA_STORAGE_QUOTA_MB: '0', CCA_RETENTION_DAYS: '0' },
      DEFAULTS,
      CWD,
      machine,
    );
    expect([config.maxQueuedPerKey, config.storageQuotaBytes, config.retentionDays]).toEqual([2, 0, 0]);
    expect(configError(() => load({}, { CCA_RETENTION_DAYS: '-1' })).message).toMatch(/CCA_RETENTION_DAYS must be an integer/);
    expect(configError(() => load({}, { CCA_STORAGE_QUOTA_MB: '1.5' })).message).toMatch(/CCA_STORAGE_QUOTA_MB/);
  });
});

describe('loadConfig CCA_MODEL_MAX_RETRIES', () => {
  it.each([
    ['0', 0],
    ['3', 3],
    ['100', 100],
  ])('reads %j', (value, expected) => {
    expect(load({}, { CCA_MODEL_MAX_RETRIES: value }).modelMaxRetries).toBe(expected);
  });

  it.each(['-1', '101', '1.5', 'x'])('rejects %j', (value) => {
    expect(configError(() => load({}, { CCA_MODEL_MAX_RETRIES: value })).message).toContain('CCA_MODEL_MAX_RETRIES');
  });
});

describe('loadConfig provider and secrets', () => {
  it('detects the provider from the same environment and keeps the signing secret out of it', () => {
    const config = load({}, { ANTHROPIC_API_KEY: 'sk-test', CCA_SIGNING_SECRET: 'sign-me' });
    expect(config.provider.kind).toBe('anthropic');
    expect(config.signingSecret).toBe('sign-me');
    expect(Object.values(config.provider.env)).not.toContain('sign-me');
  });
});

describe('S3 prefixes that would make unusable keys', () => {
  it.each(['s3://bucket/../x', 's3://bucket//a/', 's3://bucket/a/./b'])('refuses %s at start-up', (storage) => {
    expect(() => loadConfig({ storage }, {}, undefined, '/srv')).toThrow(ConfigError);
  });
});

describe('loadConfig egress allowlist', () => {
  it('is open when neither --allowed-domains nor CCA_ALLOWED_DOMAINS is given', () => {
    expect(load().egress).toEqual({ kind: 'open' });
    expect(load({}, { CCA_ALLOWED_DOMAINS: '  ' }).egress).toEqual({ kind: 'open' });
  });

  it('reads CCA_ALLOWED_DOMAINS, normalized', () => {
    expect(load({}, { CCA_ALLOWED_DOMAINS: 'GitHub.com, *.npmjs.org,' }).egress).toEqual({
      kind: 'allowlist',
      domains: ['github.com', '*.npmjs.org'],
    });
  });

  it('lets the flag beat the environment', () => {
    expect(load({ 'allowed-domains': 'pypi.org' }, { CCA_ALLOWED_DOMAINS: 'github.com' }).egress).toEqual({
      kind: 'allowlist',
      domains: ['pypi.org'],
    });
  });

  it.each([{ 'allowed-domains': 'none' }, { 'allowed-domains': 'NONE' }])('reads %j as an empty allowlist (the model only)', (flags) => {
    expect(load(flags).egress).toEqual({ kind: 'allowlist', domains: [] });
    expect(load({}, { CCA_ALLOWED_DOMAINS: flags['allowed-domains'] }).egress).toEqual({ kind: 'allowlist', domains: [] });
  });

  it('refuses an invalid entry, naming it, the flag and the variable, and showing the valid forms', () => {
    const err = configError(() => load({}, { CCA_ALLOWED_DOMAINS: 'github.com, https://pypi.org' }));
    expect(err.message).toContain('--allowed-domains / CCA_ALLOWED_DOMAINS has invalid entries');
    expect(err.message).toContain('"https://pypi.org"');
    expect(err.message).toContain('"github.com,*.npmjs.org"');
    expect(err.message).toContain('"none"');
    expect(configError(() => load({ 'allowed-domains': '*' })).message).toContain('leave the allowlist out');
  });

  it('refuses an empty --allowed-domains flag rather than guessing open or none', () => {
    expect(configError(() => load({ 'allowed-domains': ' ' })).message).toContain('--allowed-domains is empty');
  });

  it('refuses an allowlist without the sandbox, which alone can enforce it', () => {
    for (const [flags, env] of [
      [{ 'allowed-domains': 'github.com' }, { CCA_SANDBOX: 'off' }],
      [{ 'allowed-domains': 'none', 'no-sandbox': true }, {}],
      [{ 'no-sandbox': true }, { CCA_ALLOWED_DOMAINS: 'github.com' }],
    ] as [ConfigFlags, NodeJS.ProcessEnv][]) {
      const err = configError(() => load(flags, env));
      expect(err.message).toContain('needs the run sandbox');
      expect(err.message).toContain('--no-sandbox / CCA_SANDBOX=off');
    }
  });

  it('still runs without the sandbox when egress is open', () => {
    expect(load({ 'no-sandbox': true })).toMatchObject({ sandbox: 'off', egress: { kind: 'open' } });
    expect(load({}, { CCA_SANDBOX: 'off' })).toMatchObject({ sandbox: 'off', egress: { kind: 'open' } });
  });

  it('keeps the allowlist with the sandbox given explicitly', () => {
    expect(load({}, { CCA_SANDBOX: 'bwrap', CCA_ALLOWED_DOMAINS: 'github.com' })).toMatchObject({
      sandbox: 'bwrap',
      egress: { kind: 'allowlist', domains: ['github.com'] },
    });
  });
});

describe('loadConfig run network', () => {
  it('isolates each run by default, and shares the host network only when asked', () => {
    expect(load().runNetwork).toBe('isolated');
    expect(load({}, { CCA_RUN_NETWORK: 'host' }).runNetwork).toBe('host');
    expect(() => load({}, { CCA_RUN_NETWORK: 'shared' })).toThrow(/CCA_RUN_NETWORK must be "isolated" .* or "host"; got "shared"/);
  });

  it('reads the private hosts runs may still reach, the flag over the variable', () => {
    expect(load().privateHosts.entries).toEqual([]);
    expect(load({}, { CCA_PRIVATE_HOSTS: 'Registry.Internal, 10.1.0.0/16' }).privateHosts.entries).toEqual([
      'registry.internal',
      '10.1.0.0/16',
    ]);
    expect(load({ 'private-hosts': '127.0.0.2' }, { CCA_PRIVATE_HOSTS: '10.0.0.1' }).privateHosts.entries).toEqual(['127.0.0.2']);
    expect(() => load({}, { CCA_PRIVATE_HOSTS: '10.0.0.0/40' })).toThrow(ConfigError);
    expect(() => load({}, { CCA_PRIVATE_HOSTS: '10.0.0.0/40' })).toThrow(
      /--private-hosts \/ CCA_PRIVATE_HOSTS: .*longer than 32 bits.* e\.g\./,
    );
  });
});

describe('loadConfig per-run resources', () => {
  const GiB = 2 ** 30;
  const onMachine = (env: NodeJS.ProcessEnv) => loadConfig({}, env, DEFAULTS, CWD, { cpus: 4, totalMemBytes: 16 * GiB });

  it('derives the defaults from the machine and the run slots', () => {
    // 4 cores, 16 GiB: 12 slots (cores bound), 12 GiB / 12 = 1024 MiB each, every core (4).
    const config = onMachine({});
    expect(config.maxRuns).toBe(12);
    expect(config.runResources).toEqual({ memoryMb: 1024, pids: 512, cpus: 4, diskMb: 2048 });
    expect(config.runUser).toEqual({ uid: 65534, gid: 65534 });
    // Fewer slots leave each run more memory.
    expect(onMachine({ CCA_MAX_RUNS: '2' }).runResources.memoryMb).toBe(6144);
  });

  it('reads CCA_RUN_MEMORY_MB, CCA_RUN_PIDS, CCA_RUN_CPUS (fractional), CCA_RUN_DISK_MB, CCA_RUN_UID and CCA_RUN_GID', () => {
    const config = onMachine({
      CCA_RUN_MEMORY_MB: '256',
      CCA_RUN_PIDS: ' 64 ',
      CCA_RUN_CPUS: '0.5',
      CCA_RUN_DISK_MB: '20',
      CCA_RUN_UID: '1500',
    });
    expect(config.runResources).toEqual({ memoryMb: 256, pids: 64, cpus: 0.5, diskMb: 20 });
    // The group follows a configured user unless given.
    expect(config.runUser).toEqual({ uid: 1500, gid: 1500 });
    expect(onMachine({ CCA_RUN_UID: '1500', CCA_RUN_GID: '100' }).runUser).toEqual({ uid: 1500, gid: 100 });
  });

  it.each([
    ['CCA_RUN_MEMORY_MB', '10'],
    ['CCA_RUN_PIDS', '1.5'],
    ['CCA_RUN_CPUS', '0'],
    ['CCA_RUN_DISK_MB', 'lots'],
    ['CCA_RUN_UID', '0'],
    ['CCA_RUN_GID', '-1'],
  ])('refuses %s=%j, naming it', (name, value) => {
    expect(configError(() => onMachine({ [name]: value })).message).toContain(name);
  });
});
