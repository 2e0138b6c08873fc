import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ValidationError } from '../domain/errors.js';

/**
 * The arguments of a manager's operation, checked against the JSON Schema (draft-07) the manager
 * advertised for it (`ManagerOperation.inputSchema`) before anything is relayed.
 *
 * One Ajv instance; each schema is compiled once and kept by its JSON text (bounded), so a call
 * costs one lookup and one validation. Schemas come from managers, so Ajv is told to neither
 * change the data (no defaults, no coercion) nor resolve anything remote; a schema that does
 * not compile is refused when the manager registers.
 */
const ajv = new Ajv({ strict: false, allErrors: false, logger: false, validateFormats: false });

const MAX_COMPILED = 1_000;
const compiled = new Map<string, ValidateFunction>();

/** Compiles a schema (or finds it compiled); throws ValidationError naming `field` if it is no valid JSON Schema. */
export function compileInputSchema(schema: unknown, field: string): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = compiled.get(key);
  if (hit) return hit;
  if (typeof schema !== 'boolean' && (schema === null || typeof schema !== 'object' || Array.isArray(schema))) {
    throw new ValidationError(`${field} must be a JSON Schema (an object or a boolean)`, field);
  }
  // A private copy: Ajv keys what it compiled by the object, and a schema's $id must not clash with another manager's.
  const own = JSON.parse(key) as object | boolean;
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(own);
  } catch (e) {
    throw new ValidationError(`${field} is not a valid JSON Schema: ${(e as Error).message}`, field);
  } finally {
    try {
      ajv.removeSchema(own);
    } catch {
      // nothing was added
    }
  }
  if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
  compiled.set(key, validate);
  return validate;
}

/**
 * Checks an operation's arguments against its inputSchema; throws a ValidationError whose field
 * is the argument's path (`input.arguments.name`, `input.arguments.items[2]`). Absent arguments
 * are checked as `{}` (an operation without required arguments takes none), as MCP does for tools.
 */
export function checkOperationArguments(schema: unknown, args: unknown, opts: { operation: string; field?: string }): void {
  const field = opts.field ?? 'input.arguments';
  let validate: ValidateFunction;
  try {
    validate = compileInputSchema(schema, 'inputSchema');
  } catch (e) {
    // Stored before schemas were checked at registration: the manager must register a valid one.
    throw new ValidationError(`the manager's inputSchema for ${opts.operation} cannot be used (${(e as Error).message}); the manager must register again with a valid one`, 'input.operation');
  }
  if (validate(args ?? {})) return;
  const err = validate.errors?.[0];
  if (!err) throw new ValidationError(`${field} do not match the inputSchema of ${opts.operation}`, field);
  const path = argumentPath(field, err);
  throw new ValidationError(`${path} ${describe(err)} (inputSchema of ${opts.operation})`, path);
}

/** The path of the argument an Ajv error is about, from its JSON Pointer (and the property a `required` or `additionalProperties` names). */
function argumentPath(field: string, err: ErrorObject): string {
  const parts = err.instancePath === '' ? [] : err.instancePath.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = err.keyword === 'required' ? err.params.missingProperty : err.keyword === 'additionalProperties' ? err.params.additionalProperty : undefined;
  if (typeof extra === 'string') parts.push(extra);
  let out = field;
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p.slice(0, 64))}]`;
  return out;
}

function describe(err: ErrorObject): string {
  if (err.keyword === 'required') return 'is required';
  if (err.keyword === 'additionalProperties') return 'is not an argument of this operation';
  return err.message ?? 'does not match the inputSchema';
}
