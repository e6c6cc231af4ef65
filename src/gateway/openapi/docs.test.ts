import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../schemas/events.js';
import { escapeHtml, renderDocsPage, renderText } from './docs.js';
import { eventComponentName } from '../../schemas/events.js';
import { serviceDocument } from '../../../test/support/service-document.js';

const build = () => serviceDocument({ version: '1.2.3', limits: { maxBodyBytes: 1_048_576, maxPromptChars: 100_000 } });

describe('renderDocsPage', () => {
  const doc = build();
  const page = renderDocsPage(doc);

  it('shows every operation with its method, path and an anchor', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        expect(page).toContain(`<code>${path}</code>`);
        expect(page).toContain(`id="op-${op.operationId}"`);
        expect(page).toContain(`<span class="m ${method}">${method.toUpperCase()}</span> <code>${path}</code>`);
      }
    }
    expect(page).toContain('claude-code-agent <small>1.2.3');
  });

  it('lists request fields with type, required and description', () => {
    expect(page).toMatch(/<td><code>prompt<\/code><\/td><td>string<\/td><td>yes<\/td><td>The task, in plain language\./);
    expect(page).toContain('<code>&quot;acceptEdits&quot;</code> | <code>&quot;acceptAll&quot;</code>');
    // Nested response fields are flattened, and component references are links.
    expect(page).toContain('<code>output.metadata.uploaded_files</code>');
    expect(page).toContain('<a href="#schema-UploadedFile">UploadedFile</a>[]');
    expect(page).toContain('id="schema-UploadedFile"');
  });

  it('shows statuses, Retry-After and examples', () => {
    expect(page).toContain('<span class="status s4">429</span>');
    expect(page).toContain('Header <code>Retry-After</code>');
    expect(page).toContain('&quot;message&quot;: &quot;Limit Exceeded&quot;');
    expect(page).toContain('&quot;allowed_tools&quot;: &quot;Bash,Read,Write,Replace,Search,List&quot;');
    expect(page).toContain('<pre><code>curl -X POST &quot;$API_ENDPOINT&quot;');
  });

  it('lists the routes of long runs, the event schemas and an event stream as it is on the wire', () => {
    for (const [method, path, id] of [
      ['GET', '/sessions/{session_id}/events', 'streamSessionEvents'],
      ['POST', '/sessions/{session_id}/cancel', 'cancelSession'],
      ['POST', '/sessions/{session_id}/permissions/{request_id}', 'answerPermission'],
    ] as const) {
      const breakable = path.replaceAll('/', '/<wbr>');
      expect(page).toContain(`<a href="#op-${id}"><span class="m ${method.toLowerCase()}">${method}</span> <span>${breakable}</span></a>`);
    }
    expect(page).toContain('<td><code>Prefer (header)</code></td>');
    expect(page).toContain('<td><code>Last-Event-ID (header)</code></td>');
    expect(page).toContain('<p class="media"><code>text/event-stream</code>: <a href="#schema-SessionEvent">SessionEvent</a></p>');
    expect(page).toContain('<a href="#schema-AsyncAccepted">AsyncAccepted</a>');
    for (const type of EVENT_TYPES) expect(page).toContain(`id="schema-${eventComponentName(type)}"`);
    // A stream example is shown as raw text, not as a JSON string with escaped line breaks.
    expect(page).toMatch(/\nevent: assistant\.text\ndata: \{&quot;id&quot;:4,/);
    expect(page).toContain('\n: keep-alive\n');
  });

  it('loads only its own script and style, and has nothing inline a strict policy would refuse', () => {
    expect(page.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/assets/docs/main.js">']);
    expect(page).toContain('<script type="module" src="/assets/docs/main.js"></script>');
    // An empty icon, so the browser does not ask for /favicon.ico (a 404 in the console).
    expect(page.match(/<link\b[^>]*>/g)).toEqual([
      '<link rel="icon" href="data:,">',
      '<link rel="stylesheet" href="/assets/docs/main.css">',
    ]);
    expect(page).not.toMatch(/<(style|img|iframe|object|embed)\b/i);
    // No style attribute, no event handler attribute, no javascript: link, nothing from another origin.
    expect(page).not.toMatch(/\sstyle=/i);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toMatch(/javascript:/i);
    expect(page.replace('href="data:,"', '')).not.toMatch(/\b(src|href|action)="(?!\/|#)/i);
    expect(page).not.toMatch(/url\(|@import/i);
  });

  it('wraps every field table in a box of its own, which scrolls instead of the page', () => {
    const tables = page.split('<table>').length - 1;
    expect(tables).toBeGreaterThan(20);
    expect(page.split('<div class="table-box"><table>').length - 1).toBe(tables);
  });

  it('has the API key field for the script to show, with no key in it', () => {
    expect(page).toMatch(/<form class="key-bar" id="key-bar" autocomplete="off" hidden>/);
    expect(page).toContain('<input id="api-key" name="api_key" type="password"');
    expect(page).not.toMatch(/id="api-key"[^>]*value=/);
  });

  it('escapes markup placed anywhere in the document', () => {
    const evil = build();
    const attack = '<script>alert("x")</script>';
    evil.info.description = attack;
    evil.info.title = attack;
    evil.paths['/invoke']!.post!.description = attack;
    evil.components.schemas.InvocationRequest!.properties!.prompt!.description = attack;
    evil.components.schemas.InvocationRequest!.properties!.session_id!.examples = [attack];
    evil.paths['/invoke']!.post!.requestBody!.content['application/json']!.example = { prompt: attack };
    evil.paths['/sessions']!.get!.parameters![0]!.schema.examples = [attack];
    const html = renderDocsPage(evil);
    // The page's own script tag is the only one.
    expect(html.split('<script').length - 1).toBe(1);
    expect(html).not.toContain('alert("x")');
    const escaped = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';
    // Title: <title>, nav and h1; description; operation; prompt: in /invoke's body and in the
    // schema; the parameter's placeholder.
    expect(html.split(escaped).length - 1).toBe(8);
    expect(html).toContain('e.g. <code>&quot;&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;&quot;</code>');
    // In the try-it forms: the body editor's text and a parameter's placeholder.
    expect(html).toContain('&quot;prompt&quot;: &quot;&lt;script&gt;alert(\\&quot;x\\&quot;)&lt;/script&gt;&quot;\n}</textarea>');
    expect(html).toContain(`placeholder="${escaped}"`);
  });
});

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('renderText', () => {
  it('renders headings, code blocks, lists and inline code, escaped', () => {
    const html = renderText('Intro with `x<y`.\n\n## Head & more\n- one\n- two\n\n```\na < b\n```\nafter');
    expect(html).toBe(
      '<p>Intro with <code>x&lt;y</code>.</p>\n<h2>Head &amp; more</h2>\n<ul><li>one</li><li>two</li></ul>\n<pre><code>a &lt; b</code></pre>\n<p>after</p>',
    );
  });
});
