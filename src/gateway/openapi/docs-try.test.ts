import { describe, expect, it } from 'vitest';
import { serviceDocument } from '../../../test/support/service-document.js';
import { escapeHtml, renderDocsPage } from './docs.js';

const doc = serviceDocument({ version: '1', limits: { maxBodyBytes: 1_048_576, maxPromptChars: 100_000 } });
const page = renderDocsPage(doc);
const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, op]) => ({ path, method, op: op! })),
);

/** The try-it block of an operation, cut out of the page. */
function tryBlock(operationId: string): string {
  const start = page.indexOf(`<details class="try" id="try-${operationId}"`);
  expect(start, `try-it of ${operationId}`).toBeGreaterThan(-1);
  return page.slice(start, page.indexOf('</details>', page.indexOf('<div class="try-result"', start)));
}

describe('the try-it forms of the docs page', () => {
  it('gives every operation its form, inside its section, hidden until the script runs', () => {
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, op } of operations) {
      const section = page.slice(page.indexOf(`<section class="op" id="op-${op.operationId}">`));
      const block = tryBlock(op.operationId);
      expect(section.slice(0, section.indexOf('</section>'))).toContain(block);
      const auth = (op.security ?? doc.security).length === 0 ? 'none' : 'key';
      expect(block).toContain(
        `data-operation="${op.operationId}" data-method="${method.toUpperCase()}" data-path="${path}" data-auth="${auth}" hidden>`,
      );
      expect(block).toContain('<button type="submit" class="send">Send</button>');
      expect(block).toContain('<div class="try-result" aria-live="polite"></div>');
    }
  });

  it('has an input for every parameter, required where the route requires it', () => {
    for (const { op } of operations) {
      const block = tryBlock(op.operationId);
      for (const p of op.parameters ?? []) {
        expect(block).toMatch(new RegExp(`<(input|select) name="${p.name}" data-in="${p.in}"${p.required ? ' required' : ''}[ >]`));
      }
      expect(block.split('data-in="path"').length - 1).toBe((op.parameters ?? []).filter((p) => p.in === 'path').length);
    }
    // An enum is a choice; an example is a placeholder.
    expect(tryBlock('listSessionFiles')).toContain(
      '<select name="kind" data-in="query"><option value=""></option><option value="uploaded">uploaded</option><option value="skipped">skipped</option><option value="failed">failed</option></select>',
    );
    expect(tryBlock('invoke')).toContain('<input name="Prefer" data-in="header" placeholder="respond-async" spellcheck="false">');
  });

  it("prefills the JSON body with the operation's example, and offers every example when there are several", () => {
    expect(tryBlock('invoke')).toContain(
      `data-type="application/json" rows="6" spellcheck="false">{\n  &quot;prompt&quot;: &quot;Create a REST API for user management&quot;,\n  &quot;permission_mode&quot;: &quot;acceptEdits&quot;,\n  &quot;allowed_tools&quot;: &quot;Bash,Read,Write,Replace,Search,List&quot;\n}</textarea>`,
    );
    const invocations = tryBlock('invocations');
    const examples = Object.values(doc.paths['/invocations']!.post!.requestBody!.content['application/json']!.examples!);
    expect(examples.length).toBeGreaterThan(1);
    expect(invocations.split('<option value="{').length - 1).toBe(examples.length);
    for (const e of examples) expect(invocations).toContain(`>${escapeHtml(e.summary)}</option>`);
    for (const { op } of operations) {
      const json = op.requestBody?.content['application/json'];
      if (json === undefined) continue;
      expect(json.example ?? json.examples, `${op.operationId} has an example`).toBeDefined();
      expect(tryBlock(op.operationId)).toContain('<textarea name="body" data-in="body"');
    }
  });

  it('takes files where the route takes files: multipart parts or one archive', () => {
    const upload = tryBlock('uploadSessionFiles');
    expect(upload).toContain('<input type="file" name="files" data-in="files" multiple>');
    for (const type of Object.keys(doc.paths['/sessions/{session_id}/files']!.post!.requestBody!.content)) {
      expect(upload).toContain(`<option value="${type}">${type}</option>`);
    }
    expect(upload).not.toContain('<textarea');
    expect(page.split('type="file"').length - 1).toBe(1);
  });

  it('asks for JSON or the event stream where a route answers both, and for the stream where it streams', () => {
    for (const id of ['invoke', 'invocations']) {
      expect(tryBlock(id)).toContain(
        '<select name="accept" data-in="accept"><option value="application/json">JSON, when the run ends</option><option value="text/event-stream">event stream (SSE), live</option></select>',
      );
    }
    expect(tryBlock('streamSessionEvents')).toContain('<input type="hidden" name="accept" data-in="accept" value="text/event-stream">');
    expect(tryBlock('health')).toContain('<input type="hidden" name="accept" data-in="accept" value="application/json">');
    expect(tryBlock('health')).not.toContain('try-params');
  });
});
