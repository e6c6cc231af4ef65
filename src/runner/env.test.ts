import { describe, expect, it } from 'vitest';
import { buildChildEnv, type ChildEnvInput } from './env.js';

const base: ChildEnvInput = {
  path: '/opt/bin:/usr/bin',
  home: '/data/sessions/s1/home',
  tmpdir: '/data/sessions/s1/tmp',
  locale: {},
  providerEnv: { ANTHROPIC_API_KEY: 'sk-test', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' },
  modelMaxRetries: undefined,
  modelTimeoutMs: undefined,
  clientApp: 'claude-code-agent/0.1.0',
};

const SWITCHES = {
  DISABLE_AUTOUPDATER: '1',
  CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  DISABLE_TELEMETRY: '1',
  DISABLE_ERROR_REPORTING: '1',
  CLAUDE_CODE_DISABLE_AUTO_MEMORY: '1',
};

describe('buildChildEnv', () => {
  it('has exactly the allowlisted keys and nothing else', () => {
    expect(buildChildEnv(base)).toEqual({
      PATH: '/opt/bin:/usr/bin',
      HOME: '/data/sessions/s1/home',
      TMPDIR: '/data/sessions/s1/tmp',
      LANG: 'C.UTF-8',
      ...SWITCHES,
      CLAUDE_AGENT_SDK_CLIENT_APP: 'claude-code-agent/0.1.0',
      ANTHROPIC_API_KEY: 'sk-test',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9',
    });
  });

  it('adds LANG, LC_ALL, TZ, CLAUDE_CODE_MAX_RETRIES and API_TIMEOUT_MS only when given', () => {
    const env = buildChildEnv({
      ...base,
      path: undefined,
      providerEnv: {},
      locale: { LANG: 'ja_JP.UTF-8', LC_ALL: 'C', TZ: 'Asia/Tokyo' },
      modelMaxRetries: 0,
      modelTimeoutMs: 2500,
    });
    expect(env).toEqual({
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: base.home,
      TMPDIR: base.tmpdir,
      LANG: 'ja_JP.UTF-8',
      LC_ALL: 'C',
      TZ: 'Asia/Tokyo',
      CLAUDE_CODE_MAX_RETRIES: '0',
      API_TIMEOUT_MS: '2500',
      ...SWITCHES,
      CLAUDE_AGENT_SDK_CLIENT_APP: base.clientApp,
    });
  });

  it('leaves out empty LC_ALL and TZ', () => {
    const env = buildChildEnv({ ...base, locale: { LC_ALL: '', TZ: '' } });
    expect(env).not.toHaveProperty('LC_ALL');
    expect(env).not.toHaveProperty('TZ');
  });

  it('passes a fractional model timeout as whole milliseconds', () => {
    expect(buildChildEnv({ ...base, modelTimeoutMs: 1500.4 }).API_TIMEOUT_MS).toBe('1500');
  });
});
