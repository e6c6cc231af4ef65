import { describe, expect, it } from 'vitest';
import { generateKey, hashKey, parseKey } from './key-format.js';

describe('generateKey', () => {
  it('makes cca_<12 hex>_<43 base64url> keys whose hash is sha256 of the whole key, all distinct', () => {
    const keys = Array.from({ length: 200 }, () => generateKey());
    for (const { id, key, hash } of keys) {
      expect(id).toMatch(/^[0-9a-f]{12}$/);
      expect(key).toMatch(/^cca_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
      expect(key.startsWith(`cca_${id}_`)).toBe(true);
      expect(hash.toString('hex')).toBe(hashKey(key).toString('hex'));
      expect(hash).toHaveLength(32);
      // Every generated key must pass the strict parser, including its last-character check.
      expect(parseKey(key)).toEqual({ id });
    }
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    expect(new Set(keys.map((k) => k.id)).size).toBe(200);
  });
});

describe('parseKey', () => {
  const { id, key } = generateKey();
  const secret = key.slice('cca_'.length + 13);

  it('accepts a well-formed key, even when the secret holds underscores and dashes', () => {
    expect(parseKey(key)).toEqual({ id });
    expect(parseKey(`cca_abcdef012345_${'_-'.repeat(21)}A`)).toEqual({ id: 'abcdef012345' });
  });

  it.each([
    ['empty', ''],
    ['no prefix', `${id}_${secret}`],
    ['wrong prefix', `CCA_${id}_${secret}`],
    ['uppercase id', `cca_ABCDEF012345_${secret}`],
    ['short id', `cca_${id.slice(1)}_${secret}`],
    ['short secret', `cca_${id}_${secret.slice(1)}`],
    ['long secret', `cca_${id}_${secret}A`],
    ['padded secret', `cca_${id}_${secret}=`],
    ['standard base64 characters', `cca_${id}_${'+'.repeat(42)}A`],
    ['non-canonical last character', `cca_${id}_${'A'.repeat(42)}B`],
    ['surrounding space', ` ${key}`],
    ['trailing newline', `${key}\n`],
  ])('rejects %s', (_label, presented) => {
    expect(parseKey(presented)).toBeUndefined();
  });
});
