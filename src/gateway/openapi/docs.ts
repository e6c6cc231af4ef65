/**
 * `GET /docs`: the OpenAPI document as one readable HTML page, rendered on the server. Its style
 * and its script (the "Try it" forms and the API key field) are the docs app's built files under
 * `/assets/docs/`: nothing inline and nothing from elsewhere, so the page runs under a strict
 * policy (`PAGE_HEADERS` in `src/http/page-headers.ts`, as the console's), and with scripts off it is still the whole reference.
 */
import { escapeHtml, fieldRows, fieldTable, inline, refName, schemaAnchor, typeLabel } from './docs-schema.js';
import { renderTryIt } from './docs-try.js';
import type { JsonSchema, MediaType, OpenApiDocument, Operation, ResponseObject } from './openapi-types.js';

export { escapeHtml } from './docs-schema.js';

const METHODS = ['get', 'post'] as const;

/** Where the docs app's built files are served (`web/docs/`, bundled by `scripts/build-web.mjs`). */
const DOCS_ASSETS = '/assets/docs';

/** The API key field the script shows (the same key the console keeps: `web/shared/api-key.ts`). */
const KEY_BAR = `<form class="key-bar" id="key-bar" autocomplete="off" hidden>
<label for="api-key">API key</label>
<input id="api-key" name="api_key" type="password" spellcheck="false" placeholder="cca_…">
<label class="check"><input type="checkbox" id="key-remember"> remember on this device</label>
<button type="submit">Use key</button> <button type="button" id="key-forget">Forget</button>
<span id="key-state" role="status"></span>
</form>`;

/**
 * Renders the documentation page of an OpenAPI document built by `buildOpenApi`.
 * @example
 * app.get('/docs', (c) => c.html(renderDocsPage(buildOpenApi({ version, limits }))));
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((method) => (item[method] === undefined ? [] : [{ path, method, op: item[method] }])),
  );
  const title = `${doc.info.title} ${doc.info.version}`;
  const toc = operations
    .map(
      ({ path, method, op }) =>
        `<li><a href="#op-${escapeHtml(op.operationId)}"><span class="m ${method}">${method.toUpperCase()}</span> <span>${breakable(path)}</span></a></li>`,
    )
    .join('\n');
  const servers = (doc.servers ?? []).map((s) => `<p>Server: <code>${escapeHtml(s.url)}</code></p>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DOCS_ASSETS}/main.css">
<script type="module" src="${DOCS_ASSETS}/main.js"></script>
</head>
<body>
<nav><strong>${escapeHtml(doc.info.title)}</strong><ul>${toc}</ul><p><a href="#schemas">Schemas</a> · <a href="/openapi.json">openapi.json</a></p></nav>
<main>
${KEY_BAR}
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)} · OpenAPI ${escapeHtml(doc.openapi)}</small></h1>
${servers}
${renderText(doc.info.description)}
<h2 id="security-schemes">Security schemes</h2>
<ul>${Object.entries(doc.components.securitySchemes)
    .map(
      ([name, s]) =>
        `<li><code>${escapeHtml(name)}</code>: ${escapeHtml(s.type)}${s.in ? ` in ${escapeHtml(s.in)} <code>${escapeHtml(s.name ?? '')}</code>` : ''}${s.scheme ? ` ${escapeHtml(s.scheme)}` : ''}. ${inline(s.description)}</li>`,
    )
    .join('\n')}</ul>
<h2 id="operations">Operations</h2>
${operations.map(({ path, method, op }) => renderOperation(doc, path, method, op)).join('\n')}
<h2 id="schemas">Schemas</h2>
<p class="note">Responses gain fields over time (none is ever renamed): clients should ignore fields they do not know.</p>
${Object.entries(doc.components.schemas)
  .map(([name, schema]) => renderSchema(name, schema))
  .join('\n')}
</main>
</body>
</html>
`;
}

/** A path that may break after each `/` in a narrow column (never inside a segment). */
function breakable(path: string): string {
  return escapeHtml(path).replaceAll('/', '/<wbr>');
}

function renderOperation(doc: OpenApiDocument, path: string, method: string, op: Operation): string {
  const security = op.security ?? doc.security;
  const auth =
    security.length === 0
      ? 'none'
      : security
          .flatMap((s) => Object.keys(s))
          .map((n) => `<code>${escapeHtml(n)}</code>`)
          .join(' or ');
  const params = op.parameters ?? [];
  const paramTable =
    params.length === 0
      ? ''
      : `<h4>Parameters</h4>${fieldTable(params.map((p) => ({ name: `${p.name} (${p.in})`, type: typeLabel(p.schema), required: p.required, description: inline(p.description) })))}`;
  const body = op.requestBody;
  const bodyHtml =
    body === undefined
      ? ''
      : `<h4>Request body${body.required ? '' : ' (optional)'}</h4>${Object.entries(body.content)
          .map(([type, media]) => renderMedia(doc, type, media, { fields: true, open: true }))
          .join('')}`;
  const responses = Object.entries(op.responses)
    .map(([status, response]) => renderResponse(doc, status, response))
    .join('\n');
  return `<section class="op" id="op-${escapeHtml(op.operationId)}">
<h3><span class="m ${escapeHtml(method)}">${escapeHtml(method.toUpperCase())}</span> <code>${escapeHtml(path)}</code></h3>
<p><strong>${inline(op.summary)}</strong></p>
${op.description === undefined ? '' : `<p>${inline(op.description)}</p>`}
<p class="auth">Authentication: ${auth}</p>
${renderTryIt(doc, path, method, op)}
${paramTable}
${bodyHtml}
<h4>Responses</h4>
${responses}
</section>`;
}

function renderResponse(doc: OpenApiDocument, status: string, response: ResponseObject): string {
  const headers = Object.entries(response.headers ?? {})
    .map(([name, h]) => `<li>Header <code>${escapeHtml(name)}</code>: ${typeLabel(h.schema)}. ${inline(h.description)}</li>`)
    .join('');
  const media = Object.entries(response.content ?? {})
    .map(([type, m]) => renderMedia(doc, type, m, { fields: false, open: status.startsWith('2') }))
    .join('');
  return `<div class="resp"><p><span class="status s${escapeHtml(status.charAt(0))}">${escapeHtml(status)}</span> ${inline(response.description)}</p>${headers ? `<ul>${headers}</ul>` : ''}${media}</div>`;
}

/** A body: its type, its fields if asked (request bodies; responses link to their schema), and its examples. */
function renderMedia(doc: OpenApiDocument, type: string, media: MediaType, show: { fields: boolean; open: boolean }): string {
  const resolved = resolve(doc, media.schema);
  const fields = show.fields && resolved !== undefined ? fieldTable(fieldRows(resolved)) : '';
  const examples = [
    ...(media.example === undefined ? [] : [{ summary: 'Example', value: media.example }]),
    ...Object.values(media.examples ?? {}),
  ];
  const exampleHtml = examples
    .map(
      (e) =>
        `<details${show.open ? ' open' : ''}><summary>${inline(e.summary)}</summary><pre><code>${escapeHtml(exampleText(e.value))}</code></pre></details>`,
    )
    .join('');
  return `<p class="media"><code>${escapeHtml(type)}</code>: ${typeLabel(media.schema)}</p>${fields}${exampleHtml}`;
}

/** A text example (an event stream) as it is on the wire; anything else as indented JSON. */
function exampleText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function renderSchema(name: string, schema: JsonSchema): string {
  const rows = fieldRows(schema);
  const shape = rows.length === 0 ? `<p>Type: ${typeLabel(schema)}</p>` : fieldTable(rows);
  const description = schema.description === undefined ? '' : `<p>${inline(schema.description)}</p>`;
  return `<section class="schema" id="${schemaAnchor(name)}"><h3>${escapeHtml(name)}</h3>${description}${shape}</section>`;
}

function resolve(doc: OpenApiDocument, schema: JsonSchema): JsonSchema | undefined {
  return schema.$ref === undefined ? schema : doc.components.schemas[refName(schema.$ref)];
}

/** Markdown-lite: `#` headings, fenced code blocks, `- ` lists, paragraphs and inline code; all text escaped. */
export function renderText(text: string): string {
  const html: string[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length === 0) return;
    const list = paragraph.every((l) => l.startsWith('- '));
    html.push(
      list ? `<ul>${paragraph.map((l) => `<li>${inline(l.slice(2))}</li>`).join('')}</ul>` : `<p>${inline(paragraph.join('\n'))}</p>`,
    );
    paragraph = [];
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heading = /^#{1,6} (.*)$/.exec(line);
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      while (++i < lines.length && !(lines[i] ?? '').startsWith('```')) code.push(lines[i] ?? '');
      html.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
    } else if (heading) {
      flush();
      html.push(`<h2>${inline(heading[1] ?? '')}</h2>`);
    } else if (line.trim() === '') flush();
    else paragraph.push(line);
  }
  flush();
  return html.join('\n');
}
