import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadConfig } from '../../config/index.js';
import { PERMISSION_MODES } from '../../runner/index.js';
import { parseInvocation } from '../../http/invocation-request.js';
import { EXAMPLE_REQUEST } from '../../http/examples.js';
import { isControlRequest, parseControlRequest } from '../../http/control-request.js';
import type { JsonSchema, OpenApiDocument, Operation } from './openapi-types.js';
import { AsyncAcceptedSchema, CancelAcceptedSchema, PermissionAnsweredSchema } from '../../schemas/control.js';
import { UsageReportSchema } from '../../schemas/usage.js';
import { serviceDocument } from '../../../test/support/service-document.js';
import {
  ErrorSchema,
  HealthSchema,
  InvocationOutputSchema,
  PingSchema,
  SessionDetailSchema,
  SessionFilesPageSchema,
  SessionListSchema,
} from '../../schemas/responses.js';
import { UploadResultSchema } from '../../schemas/uploads.js';
import { WEBHOOK_EVENT_TYPES, WebhookDeliveryListSchema, WebhookDeliverySchema } from '../../schemas/webhooks.js';

const limits = { maxBodyBytes: 1_048_576, maxPromptChars: 100_000 };
const doc = serviceDocument({ version: '9.9.9', serverUrl: 'https://agent.example.com', limits });

const operations = (d: OpenApiDocument): [string, string, Operation][] =>
  Object.entries(d.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => [path, method, op] as [string, string, Operation]),
  );

/** Every `$ref` anywhere in a value. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([k, v]) => (k === '$ref' && typeof v === 'string' ? [v] : refs(v)));
}

/** Follows a local JSON pointer such as `#/components/schemas/UploadedFile`. */
function pointer(ref: string): unknown {
  expect(ref.startsWith('#/')).toBe(true);
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

const deref = (s: JsonSchema | undefined): JsonSchema | undefined => (s?.$ref === undefined ? s : (pointer(s.$ref) as JsonSchema));

/** The schema at a path of property names (`[]` steps into array items), following refs. */
function at(schema: JsonSchema | undefined, path: string[]): JsonSchema | undefined {
  return path.reduce<JsonSchema | undefined>((s, step) => {
    const here = deref(s);
    return step === '[]' ? here?.items : here?.properties?.[step];
  }, schema);
}

describe('buildOpenApi', () => {
  it('is an OpenAPI 3.1 document whose every $ref resolves to a component', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toMatchObject({ title: 'claude-code-agent', version: '9.9.9' });
    expect(doc.servers).toEqual([{ url: 'https://agent.example.com' }]);
    const all = refs(doc);
    expect(all.length).toBeGreaterThan(20);
    for (const ref of all) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\/\w+$/);
      expect(pointer(ref), ref).toBeTypeOf('object');
    }
    // Plain JSON: nothing is lost when it is served.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('gives every operation responses, a unique id and its path parameters', () => {
    const ops = operations(doc);
    expect(ops.map(([path, method]) => `${method.toUpperCase()} ${path}`).sort()).toEqual(
      [
        'POST /invoke',
        'GET /sessions',
        'GET /sessions/{session_id}',
        'GET /sessions/{session_id}/archive',
        'GET /sessions/{session_id}/events',
        'GET /sessions/{session_id}/files',
        'GET /sessions/{session_id}/webhooks',
        'POST /sessions/{session_id}/cancel',
        'POST /sessions/{session_id}/files',
        'POST /sessions/{session_id}/permissions/{request_id}',
        'POST /sessions/{session_id}/webhooks/{webhook_id}/retry',
        'GET /usage',
        'GET /health',
        'GET /ping',
        'POST /invocations',
        'GET /files/{key}',
        'GET /openapi.json',
        'GET /docs',
      ].sort(),
    );
    expect(new Set(ops.map(([, , op]) => op.operationId)).size).toBe(ops.length);
    for (const [path, , op] of ops) {
      expect(Object.keys(op.responses).length, path).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status).toMatch(/^[1-5]\d\d$/);
        expect(response.description).not.toBe('');
      }
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect(declared, path).toEqual(templated);
    }
  });

  it('requires only prompt and lists the permission modes', () => {
    const request = doc.components.schemas.InvocationRequest!;
    expect(request.required).toEqual(['prompt']);
    expect(request.properties?.permission_mode?.enum).toEqual([...PERMISSION_MODES]);
    expect(request.properties?.prompt?.maxLength).toBe(limits.maxPromptChars);
    const body = doc.paths['/invoke']?.post?.requestBody?.content['application/json'];
    expect(body?.schema).toEqual({ $ref: '#/components/schemas/InvocationRequest' });
    const wrapped = doc.paths['/invocations']?.post?.requestBody?.content['application/json'];
    expect(deref(wrapped?.schema)?.anyOf?.map((s) => deref(s)?.properties?.input ?? s)).toEqual([
      { $ref: '#/components/schemas/InvocationRequest' },
      { $ref: '#/components/schemas/InvocationRequest' },
      { $ref: '#/components/schemas/ControlRequest' },
    ]);
    expect(deref({ $ref: '#/components/schemas/ControlRequest' })?.required).toEqual(['control']);
  });

  it('documents the examples the service really accepts', () => {
    const config = loadConfig({}, {}, undefined, '/tmp').limits;
    expect(parseInvocation(EXAMPLE_REQUEST, config).tools).toEqual(['Bash', 'Read', 'Write', 'Edit', 'Grep', 'Glob']);
    const examples = doc.paths['/invocations']?.post?.requestBody?.content['application/json']?.examples ?? {};
    const control = Object.values(examples).filter(({ value }) => isControlRequest(value));
    expect(control.map(({ value }) => parseControlRequest(value).control.action)).toEqual(['cancel', 'permission']);
    for (const { value } of Object.values(examples)) {
      if (!isControlRequest(value)) expect(parseInvocation(value, config).prompt).toBe(EXAMPLE_REQUEST.prompt);
    }
  });

  it("answers 429 with Retry-After, both API Gateway bodies, the key's queue share and held budget, 402 over a budget, 403 with Forbidden, 507 over the storage quota", () => {
    const responses = doc.paths['/invoke']?.post?.responses ?? {};
    expect(responses['429']?.headers?.['Retry-After']?.schema).toMatchObject({ type: 'integer' });
    const examples = Object.values(responses['429']?.content?.['application/json']?.examples ?? {}).map((e) => e.value);
    expect(examples).toEqual([
      { message: 'Too Many Requests' },
      { message: 'Limit Exceeded' },
      expect.objectContaining({ code: 'budget_held', retry_after_s: 10 }),
      expect.objectContaining({ code: 'key_queue_full', retry_after_s: 5 }),
    ]);
    expect(responses['402']?.headers?.['Retry-After']).toBeDefined();
    expect(responses['402']?.content?.['application/json']?.example).toMatchObject({ code: 'budget_exceeded', limit: 'day' });
    expect(responses['507']?.content?.['application/json']?.example).toMatchObject({ code: 'storage_quota_exceeded' });
    expect(responses['403']?.content?.['application/json']?.example).toEqual({ message: 'Forbidden' });
    expect(responses['503']?.headers?.['Retry-After']).toBeDefined();
    for (const status of ['200', '202', '400', '404', '409', '413', '500']) expect(responses[status], status).toBeDefined();
  });

  it("keeps the original sample's response fields in InvocationOutput", () => {
    const out = doc.components.schemas.InvocationOutput;
    const output = at(out, ['output']);
    expect(output?.required).toEqual(expect.arrayContaining(['success', 'result', 'session_id', 'timestamp', 'model', 'metadata']));
    expect(at(out, ['output', 'success'])?.type).toBe('boolean');
    expect(at(out, ['output', 'metadata'])?.required).toEqual(expect.arrayContaining(['duration_ms', 'num_turns', 'uploaded_files']));
    expect(at(out, ['output', 'metadata', 'duration_ms'])?.type).toBe('integer');
    const file = deref(at(out, ['output', 'metadata', 'uploaded_files', '[]']));
    expect(file?.required).toEqual(expect.arrayContaining(['file_name', 's3_url', 'console_url']));
    // Responses gain fields over time: clients generated from the document must accept them.
    expect(output?.additionalProperties).toBeUndefined();
  });

  it('asks for a key on every route that runs or reads work (/invocations too, under cca serve)', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'x-api-key' });
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    const open = operations(doc)
      .filter(([, , op]) => op.security?.length === 0)
      .map(([path]) => path);
    expect(open.sort()).toEqual(['/docs', '/files/{key}', '/health', '/openapi.json', '/ping']);
    const files = doc.paths['/files/{key}']?.get?.parameters?.filter((p) => p.in === 'query').map((p) => [p.name, p.required]);
    expect(files).toEqual([
      ['expires', true],
      ['signature', true],
    ]);
    const header = doc.paths['/invocations']?.post?.parameters?.[0];
    expect(header).toMatchObject({ name: 'X-Amzn-Bedrock-AgentCore-Runtime-Session-Id', in: 'header' });
  });

  it('describes the limits and the original curl example', () => {
    const text = doc.info.description;
    expect(text).toContain(
      '10 requests a second with bursts of 20 (every request), and 1,000 a day of the requests that start runs or store files',
    );
    expect(text).toContain('1048576 bytes');
    expect(text).toContain(
      `curl -X POST "$API_ENDPOINT" -H "x-api-key: $API_KEY" -H "Content-Type: application/json" -d '{"prompt": "Create a REST API for user management", "permission_mode": "acceptEdits", "allowed_tools": "Bash,Read,Write,Replace,Search,List"}'`,
    );
    const sessions = doc.paths['/sessions']?.get?.parameters?.find((p) => p.name === 'limit');
    expect(sessions?.schema).toEqual({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
  });

  it('shows examples that parse with the schema they illustrate', () => {
    const byName: Record<string, z.ZodType> = {
      InvocationOutput: InvocationOutputSchema,
      Error: ErrorSchema,
      SessionList: SessionListSchema,
      SessionDetail: SessionDetailSchema,
      SessionFilesPage: SessionFilesPageSchema,
      UploadResult: UploadResultSchema,
      Health: HealthSchema,
      Ping: PingSchema,
      AsyncAccepted: AsyncAcceptedSchema,
      CancelAccepted: CancelAcceptedSchema,
      PermissionAnswered: PermissionAnsweredSchema,
      WebhookDeliveryList: WebhookDeliveryListSchema,
      WebhookDelivery: WebhookDeliverySchema,
      UsageReport: UsageReportSchema,
    };
    let checked = 0;
    for (const [path, , op] of operations(doc)) {
      for (const response of Object.values(op.responses)) {
        const media = response.content?.['application/json'];
        const ref = media?.schema.$ref;
        if (media === undefined || ref === undefined) continue;
        const schema = byName[ref.split('/').pop()!];
        expect(schema, `${path}: add ${ref} to byName`).toBeDefined();
        const values = [media.example, ...Object.values(media.examples ?? {}).map((e) => e.value)].filter((v) => v !== undefined);
        for (const value of values) {
          expect(schema!.safeParse(value).success, `${path} ${ref}`).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(25);
  });
});

describe('the webhooks of the document', () => {
  const doc = serviceDocument({ version: '1', limits: { maxBodyBytes: 1_048_576, maxPromptChars: 100_000 } });

  it('declares each event type a webhook receives, with the three signature headers and its body', () => {
    expect(Object.keys(doc.webhooks ?? {})).toEqual([...WEBHOOK_EVENT_TYPES]);
    for (const type of WEBHOOK_EVENT_TYPES) {
      const op = doc.webhooks?.[type]?.post;
      expect(op?.tags).toEqual(['Webhooks']);
      expect((op?.parameters ?? []).map((p) => `${p.in} ${p.name}`)).toEqual([
        'header webhook-id',
        'header webhook-timestamp',
        'header webhook-signature',
      ]);
      const body = op?.requestBody?.content['application/json']?.schema;
      expect(body?.properties?.type).toEqual({ type: 'string', const: type });
      const data = body?.properties?.data?.$ref;
      expect(data).toBe(
        type === 'permission.request' ? '#/components/schemas/WebhookPermissionRequest' : '#/components/schemas/WebhookInvocationEnded',
      );
    }
    expect(doc.tags.map((t) => t.name)).toContain('Webhooks');
  });

  it('documents the webhook field of the request', () => {
    const field = doc.components.schemas.InvocationRequest?.properties?.webhook;
    expect(JSON.stringify(field)).toContain('#/components/schemas/WebhookSubscription');
    expect(doc.components.schemas.WebhookSubscription?.required).toEqual(['url']);
  });
});
