/** A task as the form builds it: the JSON body of `POST /invoke` and the files to upload first. */
export interface Task {
  body: Record<string, unknown>;
  files: File[];
}

/** The permission modes the API takes, with what each means for a person choosing. */
export const PERMISSION_MODES: [string, string][] = [
  ['acceptEdits', 'acceptEdits (default)'],
  ['manual', 'manual: ask me'],
  ['acceptAll', 'acceptAll: anything'],
  ['plan', 'plan: run nothing'],
  ['dontAsk', 'dontAsk: listed only'],
];

/** The form's fields, as strings (inputs), before they become a body. */
export interface TaskFields {
  prompt: string;
  permission_mode: string;
  allowed_tools: string;
  model: string;
  max_turns: string;
  timeout_s: string;
  max_budget_usd: string;
  repository_url: string;
  repository_ref: string;
}

/** Empty fields. */
export const EMPTY_FIELDS: TaskFields = {
  prompt: '',
  permission_mode: 'acceptEdits',
  allowed_tools: '',
  model: '',
  max_turns: '',
  timeout_s: '',
  max_budget_usd: '',
  repository_url: '',
  repository_ref: '',
};

/**
 * The request body of `fields`: empty fields are left out (the service's defaults apply) and
 * numbers are sent as typed, so the API's own validation answers what is wrong with them.
 */
export function bodyOf(fields: TaskFields, newSession: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { prompt: fields.prompt };
  if (fields.permission_mode !== 'acceptEdits') body.permission_mode = fields.permission_mode;
  if (fields.allowed_tools.trim() !== '') body.allowed_tools = fields.allowed_tools.trim();
  if (fields.model.trim() !== '') body.model = fields.model.trim();
  for (const name of ['max_turns', 'timeout_s', 'max_budget_usd'] as const) {
    const raw = fields[name].trim();
    if (raw !== '') body[name] = Number.isNaN(Number(raw)) ? raw : Number(raw);
  }
  if (newSession && fields.repository_url.trim() !== '') {
    body.repository = { url: fields.repository_url.trim(), ...(fields.repository_ref.trim() ? { ref: fields.repository_ref.trim() } : {}) };
  }
  return body;
}
