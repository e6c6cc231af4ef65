import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { EVENT_TYPES, SessionEventSchema } from '../../schemas/events.js';
import { parseSseStream } from '../../../test/support/sse.js';
import type { Logger } from '../../logging/index.js';
import type { Activity } from '../../runtime/activity.js';
import { createRuntimeApp } from '../../runtime/app.js';
import type { InvocationService } from '../../runtime/service.js';
import type { SessionEvents } from '../../events/session-events.js';
import { PermissionAnswerSchema } from '../../schemas/control.js';
import { eventComponentName } from '../../schemas/events.js';
import { EXAMPLE_ASYNC_ACCEPTED, EXAMPLE_EVENT_STREAM } from '../../http/examples.js';
import type { JsonSchema, Operation } from './openapi-types.js';
import { serviceDocument } from '../../../test/support/service-document.js';

const doc = serviceDocument({ version: '9.9.9', limits: { maxBodyBytes: 1_048_576, maxPromptChars: 100_000 } });
const schemas = doc.components.schemas;
const component = (ref: string | undefined): JsonSchema | undefined => schemas[(ref ?? '').replace('#/components/schemas/', '')];
const op = (path: string, method: 'get' | 'post'): Operation => {
  const found = doc.paths[path]?.[method];
  if (found === undefined) throw new Error(`no ${method} ${path}`);
  return found;
};
const schemaOf = (o: Operation, status: string, type = 'application/json') => o.responses[status]?.content?.[type]?.schema.$ref;

describe('session events in the document', () => {
  const union = schemas.SessionEvent!;

  it('has one component per event type, each reached from SessionEvent', () => {
    const members = (union.oneOf ?? []).map((m) => component(m.$ref));
    const types = members.map((m) => m?.properties?.type?.const);
    expect(types).toEqual(EVENT_TYPES);
    for (const type of EVENT_TYPES) {
      const event = schemas[eventComponentName(type)];
      expect(event?.required, type).toEqual(['id', 'session_id', 'invocation_id', 'at', 'type', 'data']);
      expect(event?.description, type).toMatch(new RegExp(`^\`${type.replace('.', '\\.')}\`: \\w`));
    }
    expect(eventComponentName('invocation.completed')).toBe('InvocationCompletedEvent');
    expect(eventComponentName('usage')).toBe('UsageEvent');
  });

  it('names its discriminator, and every mapping resolves to the component of that type', () => {
    const { propertyName, mapping } = union.discriminator as { propertyName: string; mapping: Record<string, string> };
    expect(propertyName).toBe('type');
    expect(Object.keys(mapping)).toEqual(EVENT_TYPES);
    for (const [type, ref] of Object.entries(mapping)) expect(component(ref)?.properties?.type?.const, type).toBe(type);
  });

  it('refers to the shared components instead of inlining them', () => {
    const completed = schemas.InvocationCompletedEvent?.properties?.data?.properties?.output;
    expect(completed?.anyOf).toContainEqual({ $ref: '#/components/schemas/InvocationOutput' });
    expect(schemas.UsageEvent?.properties?.data?.properties?.usage).toEqual({ $ref: '#/components/schemas/TokenUsage' });
  });

  it('gives every event stream the SessionEvent schema, the wire format and examples that parse', async () => {
    let streams = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const operation of Object.values(item)) {
        const response = operation.responses['200'];
        const media = response?.content?.['text/event-stream'];
        if (media === undefined) continue;
        streams++;
        expect(media.schema, path).toEqual({ $ref: '#/components/schemas/SessionEvent' });
        expect(response?.description, path).toContain('`id: <event id>`, `event: <type>`, `data: <the whole event as JSON');
        expect(response?.description, path).toContain('`: keep-alive` comes every 15 s');
        const examples = Object.values(media.examples ?? {});
        expect(examples.length, path).toBeGreaterThan(0);
        for (const { value } of examples) {
          expect(value, path).toContain(': keep-alive\n\n');
          let messages = 0;
          for await (const message of parseSseStream(new Response(value as string).body!)) {
            const event = SessionEventSchema.parse(JSON.parse(message.data));
            expect(JSON.parse(message.data)).toStrictEqual(event);
            expect([message.id, message.event]).toEqual([String(event.id), event.type]);
            messages++;
          }
          expect(messages, path).toBeGreaterThan(1);
        }
      }
    }
    expect(streams).toBe(3);
    expect(EXAMPLE_EVENT_STREAM).toMatch(/event: invocation\.completed\ndata: \{[^\n]*"status":"succeeded"/);
  });
});

describe('POST /invoke and /invocations', () => {
  it('take async and approval_timeout_s from the request schema', () => {
    const props = schemas.InvocationRequest?.properties;
    expect(props?.async).toMatchObject({ type: 'boolean' });
    expect(props?.approval_timeout_s).toMatchObject({ type: 'number', minimum: 1 });
  });

  it.each(['/invoke', '/invocations'])('%s answers JSON, an event stream, or 202 with headers, as Prefer asks', (path) => {
    const post = op(path, 'post');
    expect(schemaOf(post, '200')).toBe('#/components/schemas/InvocationOutput');
    expect(schemaOf(post, '200', 'text/event-stream')).toBe('#/components/schemas/SessionEvent');
    expect(post.responses['200']?.headers?.['X-Session-Id']).toBeDefined();
    expect(schemaOf(post, '202')).toBe('#/components/schemas/AsyncAccepted');
    expect(post.responses['202']?.content?.['application/json']?.example).toEqual(EXAMPLE_ASYNC_ACCEPTED);
    expect(Object.keys(post.responses['202']?.headers ?? {})).toEqual(['Preference-Applied', 'Location']);
    expect(post.parameters?.find((p) => p.name === 'Prefer')).toMatchObject({ in: 'header', required: false });
    expect(post.description).toContain('`Accept: text/event-stream`');
    expect(schemas.AsyncAccepted?.required).toEqual(['session_id', 'invocation_id', 'status', 'status_url', 'events_url']);
  });

  it('documents the 400 the bare runtime really answers to async', async () => {
    const documented = op('/invocations', 'post').responses['400']?.content?.['application/json']?.examples?.async?.value;
    const config = loadConfig({}, {}, undefined, '/tmp');
    // The handler refuses async before it touches the service: stubs are never called.
    const app = createRuntimeApp({
      config,
      service: {} as InvocationService,
      events: {} as SessionEvents,
      activity: {} as Activity,
      logger: {} as Logger,
    });
    for (const init of [{ body: '{"prompt":"x","async":true}' }, { body: '{"prompt":"x"}', headers: { Prefer: 'respond-async' } }]) {
      const res = await app.request('/invocations', { method: 'POST', ...init });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(documented);
    }
  });
});

describe('the session routes of long runs', () => {
  const apiKey = (o: Operation) => expect(o.security ?? doc.security).toEqual([{ apiKey: [] }, { bearer: [] }]);

  it('GET /sessions/{session_id}/events streams, resumes from Last-Event-ID or after', () => {
    const get = op('/sessions/{session_id}/events', 'get');
    apiKey(get);
    expect(Object.keys(get.responses)).toEqual(['200', '400', '403', '404', '429']);
    expect(Object.keys(get.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(get.parameters?.map((p) => [p.name, p.in, p.schema.minimum])).toEqual([
      ['session_id', 'path', undefined],
      ['Last-Event-ID', 'header', 0],
      ['after', 'query', 0],
    ]);
  });

  it('POST /sessions/{session_id}/cancel answers 202, or 404 and 409', () => {
    const post = op('/sessions/{session_id}/cancel', 'post');
    apiKey(post);
    expect(Object.keys(post.responses)).toEqual(['202', '403', '404', '409', '429']);
    expect(schemaOf(post, '202')).toBe('#/components/schemas/CancelAccepted');
    expect(schemas.CancelAccepted?.properties?.status).toMatchObject({ const: 'cancelling' });
  });

  it('POST /sessions/{session_id}/permissions/{request_id} takes a decision and answers 200, 400, 404 or 409', () => {
    const post = op('/sessions/{session_id}/permissions/{request_id}', 'post');
    apiKey(post);
    expect(Object.keys(post.responses)).toEqual(['200', '400', '403', '404', '409', '413', '429']);
    expect(schemaOf(post, '200')).toBe('#/components/schemas/PermissionAnswered');
    const body = post.requestBody?.content['application/json'];
    expect(body?.schema).toEqual({ $ref: '#/components/schemas/PermissionAnswer' });
    expect(PermissionAnswerSchema.parse(body?.example)).toStrictEqual(body?.example);
    const answer = schemas.PermissionAnswer;
    expect(answer?.required).toEqual(['decision']);
    expect(answer?.properties?.decision?.enum).toEqual(['allow', 'deny']);
    expect(answer?.properties?.message?.maxLength).toBe(2000);
  });
});
