/**
 * `GET /docs`: the OpenAPI document as one readable HTML page, rendered on the server. No script,
 * no external resource: it works offline and under a `default-src 'none'` policy (styles inline).
 */
import { escapeHtml, fieldRows, fieldTable, inline, refName, schemaAnchor, typeLabel } from './docs-schema.js';
import type { JsonSchema, MediaType, OpenApiDocument, Operation, ResponseObject } from './openapi-types.js';

export { escapeHtml } from './docs-schema.js';

const METHODS = ['get', 'post'] as const;

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
        `<li><a href="#op-${escapeHtml(op.operationId)}"><span class="m ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
    )
    .join('\n');
  const servers = (doc.servers ?? []).map((s) => `<p>Server: <code>${escapeHtml(s.url)}</code></p>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}: API</title>
<style>${CSS}</style>
</head>
<body>
<nav><strong>${escapeHtml(doc.info.title)}</strong><ul>${toc}</ul><p><a href="#schemas">Schemas</a> · <a href="/openapi.json">openapi.json</a></p></nav>
<main>
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

const CSS = `
:root{color-scheme:light dark;--fg:#1f2328;--bg:#fff;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--line:#3d444d;--code:#151b23}}
*{box-sizing:border-box}body{margin:0;font:15px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);display:flex}
nav{position:sticky;top:0;height:100vh;overflow:auto;width:270px;flex:none;padding:1rem;border-right:1px solid var(--line);font-size:13px}
nav ul{list-style:none;padding:0}nav li{margin:.2rem 0}nav a{color:inherit;text-decoration:none}
main{padding:1rem 2rem 4rem;max-width:1000px;min-width:0}h1 small{font-size:.5em;color:var(--muted);font-weight:normal}
h2{border-bottom:1px solid var(--line);padding-bottom:.3rem;margin-top:2.5rem}h4{margin:1rem 0 .4rem}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace;background:var(--code);border-radius:4px}code{padding:.1em .3em}
pre{padding:.8rem;overflow:auto}pre code{padding:0}
table{border-collapse:collapse;width:100%;margin:.4rem 0;font-size:14px}th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
.op,.schema{border-top:1px solid var(--line);padding-top:.5rem;margin-top:1.5rem}
.m{display:inline-block;min-width:3.2em;text-align:center;border-radius:4px;color:#fff;font:bold 12px/1.8 ui-monospace,monospace;padding:0 .3em}
.m.get{background:#1f6feb}.m.post{background:#1a7f37}
.status{font-weight:bold;font-family:ui-monospace,monospace;padding:0 .3em;border-radius:4px;background:var(--code)}
.s2{color:#1a7f37}.s4{color:#bc4c00}.s5{color:#cf222e}.note,.auth{color:var(--muted)}.resp{margin-left:.5rem}
details{margin:.3rem 0}summary{cursor:pointer;color:var(--muted)}
@media (max-width:800px){body{display:block}nav{position:static;height:auto;width:auto;border:0}}
`;
