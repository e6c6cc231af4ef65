/**
 * The "Try it" form of each operation on the docs page, rendered on the server from the document
 * (parameters, body types, examples) and wired up by the page's script (`web/docs/`). It is
 * `hidden` until that script runs: with scripts off the page is the reference alone.
 */
import { escapeHtml } from './docs-schema.js';
import type { MediaType, OpenApiDocument, Operation, Parameter } from './openapi-types.js';

/** Body types a person can type as text; the others are files. */
const JSON_TYPE = 'application/json';
/** Answer types the form can ask for with `Accept`, in the order offered. */
const ANSWER_TYPES = ['application/json', 'text/event-stream'];

/**
 * The try-it block of one operation: an input per parameter, a body editor prefilled with the
 * operation's example (or a file picker for uploads), the answer type when there is a choice, Send.
 * @example renderTryIt(doc, '/sessions/{session_id}', 'get', op)
 */
export function renderTryIt(doc: OpenApiDocument, path: string, method: string, op: Operation): string {
  const security = op.security ?? doc.security;
  const id = escapeHtml(op.operationId);
  const params = (op.parameters ?? []).map(parameterInput).join('\n');
  return `<details class="try" id="try-${id}" data-operation="${id}" data-method="${escapeHtml(method.toUpperCase())}" data-path="${escapeHtml(path)}" data-auth="${security.length === 0 ? 'none' : 'key'}" hidden>
<summary>Try it</summary>
<form class="try-form" autocomplete="off" novalidate>
${params === '' ? '' : `<div class="try-params">\n${params}\n</div>`}
${answerChoice(op)}
${op.requestBody === undefined ? '' : bodyInput(op.requestBody.content)}
<div class="try-actions"><button type="submit" class="send">Send</button> <button type="button" class="stop" hidden>Stop</button> <span class="try-hint"></span></div>
</form>
<div class="try-result" aria-live="polite"></div>
</details>`;
}

function parameterInput(p: Parameter): string {
  const name = escapeHtml(p.name);
  const label = `<span class="field-name"><code>${name}</code> <small>${escapeHtml(p.in)}${p.required ? ', required' : ''}</small></span>`;
  const attrs = `name="${name}" data-in="${escapeHtml(p.in)}"${p.required ? ' required' : ''}`;
  if (p.schema.enum !== undefined) {
    const options = p.schema.enum.map((v) => `<option value="${escapeHtml(String(v))}">${escapeHtml(String(v))}</option>`).join('');
    return `<label class="field">${label}<select ${attrs}><option value=""></option>${options}</select></label>`;
  }
  const hint = p.schema.examples?.[0] ?? p.schema.default;
  const placeholder = hint === undefined ? '' : ` placeholder="${escapeHtml(String(hint))}"`;
  const numeric = p.schema.type === 'integer' ? ' inputmode="numeric"' : '';
  return `<label class="field">${label}<input ${attrs}${placeholder}${numeric} spellcheck="false"></label>`;
}

/** A choice of `Accept` when a success answer comes as JSON or as an event stream. */
function answerChoice(op: Operation): string {
  const offered = new Set(
    Object.entries(op.responses)
      .filter(([status]) => status.startsWith('2'))
      .flatMap(([, r]) => Object.keys(r.content ?? {})),
  );
  const types = ANSWER_TYPES.filter((t) => offered.has(t));
  if (types.length === 0) return '';
  if (types.length === 1) return `<input type="hidden" name="accept" data-in="accept" value="${escapeHtml(types[0] ?? '')}">`;
  const options = types.map(
    (t) => `<option value="${t}">${t === JSON_TYPE ? 'JSON, when the run ends' : 'event stream (SSE), live'}</option>`,
  );
  return `<label class="field"><span class="field-name">Answer as <small>Accept</small></span><select name="accept" data-in="accept">${options.join('')}</select></label>`;
}

/** The body editor: JSON text prefilled with the first example, or files for the other types. */
function bodyInput(content: Record<string, MediaType>): string {
  const types = Object.keys(content);
  const json = content[JSON_TYPE];
  if (json !== undefined) {
    const examples = [
      ...(json.example === undefined ? [] : [{ summary: 'Example', value: json.example }]),
      ...Object.values(json.examples ?? {}),
    ];
    const text = examples[0] === undefined ? '{}' : JSON.stringify(examples[0].value, null, 2);
    const picker =
      examples.length < 2
        ? ''
        : `<label class="field"><span class="field-name">Example</span><select class="example-pick">${examples
            .map((e) => `<option value="${escapeHtml(JSON.stringify(e.value, null, 2))}">${escapeHtml(e.summary)}</option>`)
            .join('')}</select></label>`;
    const rows = Math.min(Math.max(text.split('\n').length + 1, 4), 18);
    return `${picker}<label class="field body"><span class="field-name">Body <small>${JSON_TYPE}</small></span><textarea name="body" data-in="body" data-type="${JSON_TYPE}" rows="${rows}" spellcheck="false">${escapeHtml(text)}</textarea></label>`;
  }
  const typeChoice =
    types.length < 2
      ? `<input type="hidden" name="content_type" value="${escapeHtml(types[0] ?? 'application/octet-stream')}">`
      : `<label class="field"><span class="field-name">Body as <small>Content-Type</small></span><select name="content_type">${types
          .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
          .join('')}</select></label>`;
  return `${typeChoice}<label class="field body"><span class="field-name">Files <small>multipart: each file is a <code>file</code> part; an archive type: one archive as the body</small></span><input type="file" name="files" data-in="files" multiple></label>`;
}
