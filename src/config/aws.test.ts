import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.js';

const aws = (env: NodeJS.ProcessEnv) => loadConfig({}, env, undefined, '/srv').aws;

describe('loadConfig aws', () => {
  it('defaults to us-east-1, AWS itself and virtual-host URLs', () => {
    expect(aws({})).toEqual({ region: 'us-east-1', s3Endpoint: undefined, s3ForcePathStyle: false });
  });

  it('takes AWS_REGION over AWS_DEFAULT_REGION', () => {
    expect(aws({ AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-1');
    expect(aws({ AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'eu-west-1' }).region).toBe('eu-west-3');
  });

  it('takes AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL', () => {
    expect(aws({ AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }).s3Endpoint).toBe('http://127.0.0.1:9000');
    expect(aws({ AWS_ENDPOINT_URL: 'http://a:1', AWS_ENDPOINT_URL_S3: 'https://s3.example.com' }).s3Endpoint).toBe(
      'https://s3.example.com',
    );
  });

  it('turns path-style URLs on with CCA_S3_FORCE_PATH_STYLE=1', () => {
    expect(aws({ CCA_S3_FORCE_PATH_STYLE: '1' }).s3ForcePathStyle).toBe(true);
    expect(aws({ CCA_S3_FORCE_PATH_STYLE: 'true' }).s3ForcePathStyle).toBe(true);
    expect(aws({ CCA_S3_FORCE_PATH_STYLE: '0' }).s3ForcePathStyle).toBe(false);
  });

  it('refuses an endpoint that is not an http(s) URL, and a path-style value it does not know', () => {
    expect(() => aws({ AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' })).toThrow(ConfigError);
    expect(() => aws({ AWS_ENDPOINT_URL_S3: '127.0.0.1:9000' })).toThrow(/AWS_ENDPOINT_URL_S3 must be an http\(s\) URL/);
    expect(() => aws({ AWS_ENDPOINT_URL: 'ftp://x' })).toThrow(/AWS_ENDPOINT_URL must be/);
    expect(() => aws({ CCA_S3_FORCE_PATH_STYLE: 'yes' })).toThrow(/CCA_S3_FORCE_PATH_STYLE must be 1 or 0/);
  });
});
