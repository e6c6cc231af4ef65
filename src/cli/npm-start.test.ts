import { describe, expect, it } from 'vitest';
import { SERVICE_COMMANDS } from './commands/service.js';
import { npmStartArgs } from './npm-start.js';

const options = SERVICE_COMMANDS.find((c) => c.name === 'serve')!.options!;
const args = (argv: string[], env: Record<string, string>) => npmStartArgs(argv, env, options);

// What npm 11 hands the script, as observed: `npm start --port 9000` gives npm_config_port=true and argv ['9000'].
describe('npmStartArgs', () => {
  it('passes flags given after -- through unchanged', () => {
    expect(args(['--port', '9000', '--no-sandbox'], {})).toEqual({ args: ['--port', '9000', '--no-sandbox'], notes: [] });
  });

  it('puts back a flag npm took with its value left nameless (npm start --port 9000)', () => {
    const result = args(['9000'], { npm_config_port: 'true' });
    expect(result).toMatchObject({ args: ['--port', '9000'] });
    expect(result).toMatchObject({ notes: [expect.stringContaining('npm start -- FLAGS')] });
  });

  it('puts back --flag=value, boolean flags and --no-sandbox, with the flags after -- kept', () => {
    expect(
      args(['--model', 'claude-haiku-4-5'], {
        npm_config_host: '0.0.0.0',
        npm_config_data_dir: '/tmp/d',
        npm_config_sandbox: '',
        npm_config_mcp_allow_stdio: 'true',
      }),
    ).toMatchObject({
      args: ['--host', '0.0.0.0', '--data-dir', '/tmp/d', '--no-sandbox', '--mcp-allow-stdio', '--model', 'claude-haiku-4-5'],
    });
  });

  it('gives several nameless values to their flags when only one way fits (a port is a number, a host no path)', () => {
    expect(args(['0.0.0.0', '9000'], { npm_config_port: 'true', npm_config_host: 'true' })).toMatchObject({
      args: ['--port', '9000', '--host', '0.0.0.0'],
    });
    expect(args(['/tmp/d', '127.0.0.1', '--log-level', 'debug'], { npm_config_host: 'true', npm_config_data_dir: 'true' })).toMatchObject({
      args: ['--host', '127.0.0.1', '--data-dir', '/tmp/d', '--log-level', 'debug'],
    });
  });

  it('refuses, saying to use --, when the values could belong to either flag or are missing', () => {
    for (const [argv, env] of [
      [['data', 'localhost'], { npm_config_host: 'true', npm_config_data_dir: 'true' }],
      [[], { npm_config_port: 'true' }],
      [['9000', '9001'], { npm_config_port: 'true' }],
    ] as const) {
      const result = args([...argv], env);
      expect(result).toMatchObject({ error: expect.stringContaining('Put the flags after --: npm start -- --') });
    }
  });

  it("ignores npm's own settings and the flags of serve it was not given", () => {
    expect(args([], { npm_config_cache: '/root/.npm', npm_config_user_agent: 'npm/11', npm_config_loglevel: 'warn' })).toEqual({
      args: [],
      notes: [],
    });
  });
});
