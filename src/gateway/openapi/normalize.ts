/**
 * Tidies the generated document into the form a reader and a client generator expect, without
 * changing what it says: a literal is `const` (JSON Schema 2020-12), a nullable reference is
 * `anyOf: [$ref, null]` (the generator's `allOf` with a nullable object would refuse null), a
 * parameter is described once
 * (not again in its schema) and is never `null` (a header or query value is text), and parameters
 * are listed path first, then headers, then query.
 */
import type { JsonSchema, OpenApiDocument, Parameter } from './openapi-types.js';

const PLACE: Record<string, number> = { path: 0, header: 1, query: 2, cookie: 3 };

/** Normalizes `doc` in place and returns it. */
export function normalizeDocument(doc: OpenApiDocument): OpenApiDocument {
  walk(doc, (node) => {
    if (Array.isArray(node.enum) && node.enum.length === 1) {
      node.const = node.enum[0];
      delete node.enum;
    }
    const [ref, nullable, ...rest] = Array.isArray(node.allOf) ? (node.allOf as JsonSchema[]) : [];
    if (ref?.$ref !== undefined && rest.length === 0 && Array.isArray(nullable?.type) && nullable.type.includes('null')) {
      delete node.allOf;
      node.anyOf = [ref, { type: 'null' }];
    }
  });
  for (const item of Object.values(doc.paths)) {
    for (const op of Object.values(item)) {
      if (op.parameters === undefined) continue;
      for (const p of op.parameters) tidyParameter(p);
      op.parameters.sort((a, b) => (PLACE[a.in] ?? 9) - (PLACE[b.in] ?? 9));
    }
  }
  return doc;
}

function tidyParameter(p: Parameter): void {
  const schema = p.schema as JsonSchema & { description?: string };
  if (schema.description !== undefined && schema.description === p.description) delete schema.description;
  if (Array.isArray(schema.type)) {
    const types = schema.type.filter((t) => t !== 'null');
    schema.type = types.length === 1 ? types[0] : types;
  }
}

/** Calls `visit` on every object of the document that could be a schema. */
function walk(node: unknown, visit: (schema: JsonSchema & Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  visit(node as JsonSchema & Record<string, unknown>);
  for (const child of Object.values(node)) walk(child, visit);
}
