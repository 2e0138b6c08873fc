/**
 * Forms from a manager operation's `inputSchema` (JSON Schema): an object's properties become
 * fields (string, number, integer, boolean, enum), `required` ones are marked and checked.
 * Anything richer is edited as JSON.
 */
export type FieldSpec =
  | { name: string; kind: 'string' | 'number' | 'integer'; required: boolean; description?: string; minimum?: number; maximum?: number; minLength?: number; default?: unknown }
  | { name: string; kind: 'boolean'; required: boolean; description?: string; default?: unknown }
  | { name: string; kind: 'enum'; options: string[]; required: boolean; description?: string; default?: unknown }
  | { name: string; kind: 'json'; required: boolean; description?: string; default?: unknown };

export interface FormSpec {
  fields: FieldSpec[];
  /** the schema is not an object with properties: edit the arguments as JSON */
  raw: boolean;
}

type Json = Record<string, unknown>;

export function formFromSchema(schema: unknown): FormSpec {
  if (!schema || typeof schema !== 'object') return { fields: [], raw: false };
  const s = schema as Json;
  if (s.type !== 'object' && !s.properties) return { fields: [], raw: true };
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set(Array.isArray(s.required) ? (s.required as string[]) : []);
  const fields: FieldSpec[] = Object.entries(props).map(([name, p]) => {
    const base = { name, required: required.has(name), description: typeof p.description === 'string' ? p.description : undefined, default: p.default };
    if (Array.isArray(p.enum)) return { ...base, kind: 'enum', options: p.enum.map(String) };
    if (p.type === 'boolean') return { ...base, kind: 'boolean' };
    if (p.type === 'integer' || p.type === 'number' || p.type === 'string') {
      return {
        ...base,
        kind: p.type,
        minimum: typeof p.minimum === 'number' ? p.minimum : undefined,
        maximum: typeof p.maximum === 'number' ? p.maximum : undefined,
        minLength: typeof p.minLength === 'number' ? p.minLength : undefined,
      };
    }
    return { ...base, kind: 'json' };
  });
  return { fields, raw: false };
}

/** The arguments from the form's text values, or the problems by field. */
export function argumentsFrom(spec: FormSpec, values: Record<string, string | boolean>): { args: Json; problems: Record<string, string> } {
  const args: Json = {};
  const problems: Record<string, string> = {};
  for (const f of spec.fields) {
    const v = values[f.name];
    if (f.kind === 'boolean') {
      if (v !== undefined) args[f.name] = v === true;
      else if (f.required) args[f.name] = false;
      continue;
    }
    const text = typeof v === 'string' ? v.trim() : '';
    if (text === '') {
      if (f.required) problems[f.name] = 'required';
      continue;
    }
    if (f.kind === 'integer' || f.kind === 'number') {
      const n = Number(text);
      if (Number.isNaN(n) || (f.kind === 'integer' && !Number.isInteger(n))) problems[f.name] = f.kind === 'integer' ? 'a whole number' : 'a number';
      else if (f.minimum !== undefined && n < f.minimum) problems[f.name] = `at least ${f.minimum}`;
      else if (f.maximum !== undefined && n > f.maximum) problems[f.name] = `at most ${f.maximum}`;
      else args[f.name] = n;
    } else if (f.kind === 'json') {
      try {
        args[f.name] = JSON.parse(text);
      } catch {
        problems[f.name] = 'not valid JSON';
      }
    } else {
      if (f.kind === 'string' && f.minLength !== undefined && text.length < f.minLength) problems[f.name] = `at least ${f.minLength} characters`;
      args[f.name] = text;
    }
  }
  return { args, problems };
}

/** A list of records (objects with mostly the same keys) is shown as a table. */
export function asTable(value: unknown): { columns: string[]; rows: Json[] } | null {
  let list: unknown = value;
  // { proxies: [...] } — one list inside an object, as many operations answer.
  if (list && typeof list === 'object' && !Array.isArray(list)) {
    const entries = Object.values(list as Json);
    if (entries.length === 1 && Array.isArray(entries[0])) list = entries[0];
  }
  if (!Array.isArray(list) || list.length === 0) return null;
  if (!list.every((r) => r && typeof r === 'object' && !Array.isArray(r))) return null;
  const columns: string[] = [];
  for (const r of list as Json[]) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
  return { columns, rows: list as Json[] };
}
