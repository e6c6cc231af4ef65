/**
 * JSON Schema to HTML for the docs page: a type label with links to components, and a flat field
 * table (nested objects as `a.b`, arrays of objects as `a[].b`) that a person can read top to bottom.
 */
import type { JsonSchema } from './openapi-types.js';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch] ?? ch);
}

/** Escaped text with `code` spans marked up (backticks are not touched by escaping). */
export function inline(text: string): string {
  return escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');
}

/** The component name of a local `#/components/schemas/` reference. */
export function refName(ref: string): string {
  return decodeURIComponent(ref.slice(ref.lastIndexOf('/') + 1));
}

/** Link target of a component schema on the page. */
export function schemaAnchor(name: string): string {
  return `schema-${name.replace(/[^\w-]/g, '_')}`;
}

/** A short type label, as HTML: `string | null`, `UploadedFile[]` (linked), `"a" | "b"`. */
export function typeLabel(schema: JsonSchema | undefined): string {
  if (schema === undefined) return 'any';
  if (schema.$ref !== undefined) {
    const name = refName(schema.$ref);
    return `<a href="#${schemaAnchor(name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.enum !== undefined) return schema.enum.map((v) => `<code>${escapeHtml(JSON.stringify(v))}</code>`).join(' | ');
  if (schema.const !== undefined) return `<code>${escapeHtml(JSON.stringify(schema.const))}</code>`;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants !== undefined) return variants.map(typeLabel).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  if (types.length === 0) return 'any';
  return types.map((t) => (t === 'array' ? `${typeLabel(schema.items)}[]` : escapeHtml(t))).join(' | ');
}

export interface FieldRow {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** The fields of an object schema, nested inline objects flattened. */
export function fieldRows(schema: JsonSchema, prefix = ''): FieldRow[] {
  const required = new Set(schema.required ?? []);
  const rows: FieldRow[] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    rows.push({ name: prefix + name, type: typeLabel(prop), required: required.has(name), description: describe(prop) });
    if (prop.properties !== undefined) rows.push(...fieldRows(prop, `${prefix}${name}.`));
    else if (prop.items?.properties !== undefined) rows.push(...fieldRows(prop.items, `${prefix}${name}[].`));
  }
  return rows;
}

/** A field's description with its constraints, default and example, as HTML. */
function describe(schema: JsonSchema): string {
  const notes: string[] = [];
  for (const [keyword, label] of CONSTRAINTS) {
    if (schema[keyword] !== undefined) notes.push(`${escapeHtml(label)} ${escapeHtml(String(schema[keyword]))}`);
  }
  if (schema.default !== undefined) notes.push(`default <code>${escapeHtml(JSON.stringify(schema.default))}</code>`);
  const example = schema.examples?.[0];
  if (example !== undefined) notes.push(`e.g. <code>${escapeHtml(JSON.stringify(example))}</code>`);
  const text = schema.description === undefined ? '' : inline(schema.description);
  return notes.length === 0 ? text : `${text} <span class="note">(${notes.join('; ')})</span>`.trim();
}

const CONSTRAINTS: [string, string][] = [
  ['minimum', '≥'],
  ['exclusiveMinimum', '>'],
  ['maximum', '≤'],
  ['exclusiveMaximum', '<'],
  ['minLength', 'min length'],
  ['maxLength', 'max length'],
  ['pattern', 'pattern'],
];

/** A field table in a box of its own that scrolls sideways if it must, or nothing when there are no fields. */
export function fieldTable(rows: FieldRow[]): string {
  if (rows.length === 0) return '';
  const body = rows
    .map(
      (r) =>
        `<tr><td><code>${escapeHtml(r.name)}</code></td><td>${r.type}</td><td>${r.required ? 'yes' : ''}</td><td>${r.description}</td></tr>`,
    )
    .join('\n');
  return `<div class="table-box"><table><thead><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}
