import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signatureHeader, verifySignature, webhookSecretProblem } from './secret.js';

const body = JSON.stringify({ type: 'invocation.completed', timestamp: '2025-01-01T12:00:00.000Z', data: { session_id: 's' } });

describe('webhook signatures', () => {
  it('are what the standardwebhooks package verifies', () => {
    const secret = generateWebhookSecret();
    expect(webhookSecretProblem(secret)).toBeUndefined();
    const now = Math.floor(Date.now() / 1000);
    const signature = signatureHeader([secret], 'msg_1', now, body);
    expect(signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow(/No matching signature/);
  });

  it('carry one signature per secret during a rotation, each verifiable alone', () => {
    const [current, previous] = [generateWebhookSecret(), generateWebhookSecret()];
    const now = Math.floor(Date.now() / 1000);
    const signature = signatureHeader([current, previous], 'msg_1', now, body);
    expect(signature.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(now), 'webhook-signature': signature };
    expect(new Webhook(current).verify(body, headers)).toBeTruthy();
    expect(new Webhook(previous).verify(body, headers)).toBeTruthy();
  });

  it('verifySignature checks the signature and reports the age of the timestamp', () => {
    const secret = generateWebhookSecret();
    const ts = 1_735_732_800;
    const signature = signatureHeader([secret], 'msg_1', ts, body);
    expect(verifySignature(secret, { id: 'msg_1', timestamp: String(ts), signature }, body, (ts + 10) * 1000)).toEqual({
      valid: true,
      ageS: 10,
      fresh: true,
    });
    expect(verifySignature(secret, { id: 'msg_1', timestamp: String(ts), signature }, body, (ts + 3600) * 1000)).toMatchObject({
      valid: true,
      fresh: false,
    });
    expect(verifySignature(secret, { id: 'msg_1', timestamp: String(ts), signature }, `${body}x`, ts * 1000)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/no signature/),
    });
    expect(verifySignature('nope', { id: 'msg_1', timestamp: String(ts), signature }, body, ts * 1000)).toMatchObject({ valid: false });
    expect(verifySignature(secret, { id: 'msg_1', timestamp: 'yesterday', signature }, body, ts * 1000)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/Unix seconds/),
    });
  });
});
