/** The bounds on what one operation may ask (size, tokens, depth, aliases, directives, cost), checked before anything runs: see the comment below the imports. */
import {
  type ArgumentNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  parse,
  SchemaMetaFieldDef,
  type SelectionSetNode,
  type Source,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  valueFromASTUntyped,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { hasRole, type Principal } from '../domain/auth.js';
import { DomainError } from '../domain/errors.js';
import { type ListSize, listSizeOf } from '../graphql/ids.js';

/**
 * What one operation may ask of the OC, so that no single request can take it down or stall
 * everyone (each answers with its `extensions.code`, before anything is executed, over HTTP, SSE
 * and graphql-ws alike). The values, and why:
 *
 * - QUERY_TOO_LARGE, a document of more than 65,536 characters (MAX_QUERY_LENGTH), refused before
 *   it is parsed or kept: yoga caches parse results by the document's text (256 of them, see
 *   documentCache in jit.ts) and parse errors (1,024 for an hour), so this also bounds what those
 *   caches can hold. Large values go in variables.
 * - TOO_MANY_TOKENS, 3,000 lexical tokens in the document. The parser stops there, so nothing
 *   after it (validation included) sees more. The repository's largest documents are far
 *   smaller: GraphiQL's schema introspection is 184 tokens, the console's topology query
 *   (50 clusters with their workers) about 60, a manager's calls under 100.
 * - QUERY_TOO_DEEP, 12 levels of fields (fragments followed; introspection fields not counted,
 *   their fan-out is bounded by the cost). The deepest useful read is 8:
 *   `clusters { edges { node { workers { edges { node { stats { cpuPercent } } } } } } }`.
 * - TOO_MANY_ALIASES, 30 aliased fields in an operation, every fragment spread counted (a fragment
 *   spread twice counts twice). The repository's clients use 2; 30 lets a page ask for a few
 *   dozen clusters by name at once.
 * - TOO_MANY_DIRECTIVES, 50 directives in an operation, counted the same way.
 * - QUERY_TOO_COMPLEX, a cost of 250,000 (MAX_QUERY_COST): an estimate of the fields the answer
 *   may hold. Each field costs 1; the fields under a list cost once per item it may hold: a
 *   connection's `first` (or its default page), the ids given to `nodes`, the items a list
 *   declares it usually holds (a worker's artifacts: 3), and 10 for any other list (a cluster's
 *   artifacts, steps, history, introspection's lists). Known from the variables, so it is
 *   checked as the operation starts. What the repository's clients and a console send:
 *     - 50 clusters with health, manager, stats, artifacts and 100 workers' states each (the
 *       console's topology query, test/api/topology.test.ts): 36,000, a seventh of the limit;
 *       with the workers' artifacts and stats, as a console's fleet page: 88,000;
 *     - default pages, 50 clusters of 100 workers, every worker field: 140,000;
 *     - a full page of 1,000 workers, every field: 33,000; of 500 clusters: 42,000;
 *     - GraphiQL's introspection: 52,000 (a nested introspection fans out 10 times per list
 *       here, faster than this schema's own lists do, so the cost bounds it too);
 *     - the benchmarks' clusters(first: 50) page and cluster(name) with 50 workers: 651, 356.
 *   `clusters(first: 100) { workers(first: 1000) { edges { node { id memberId state } } } }`
 *   costs 500,000: refused (100,000 workers in one answer), it is read in pages.
 * - A connection's `first` above its cap (API.md: clusters and commands 500, workers 1,000), or
 *   more than 100 ids for `nodes(ids:)`: BAD_USER_INPUT naming the argument, checked here before
 *   the operation runs and by the field itself.
 *
 * Every count is linear in the document: a fragment is measured once, however often it is
 * spread (24 fragments spreading the next twice cost microseconds, and 2^24 fields: refused).
 * These are the OC's own rules rather than graphql-armor's (tried, and dropped): armor's are
 * linear too, but refuse with a thrown "Syntax Error: ..." without an `extensions.code`, count no
 * `__typename` alias by default, and its cost reads `first` from literals only (not variables,
 * not a connection's default page) and grows 1.5 times per level of depth.
 *
 * Error messages of the parser and of validation never echo more than 64 characters of a name
 * or value, and make no "Did you mean ...?" suggestions to anyone: VIEWERs and above may read
 * the schema by introspection (GraphiQL does), MANAGER tokens may not (FORBIDDEN), and
 * suggestions would hand them the schema field by field. Being the same for every caller, a
 * validation result stays cacheable per document.
 */
export const MAX_QUERY_LENGTH = 65_536;
export const MAX_QUERY_TOKENS = 3_000;
export const MAX_QUERY_DEPTH = 12;
export const MAX_QUERY_ALIASES = 30;
export const MAX_QUERY_DIRECTIVES = 50;
export const MAX_QUERY_COST = 250_000;
/** The items assumed for a list field that declares no `listSize` (see ListSize in src/graphql/ids.ts). */
export const DEFAULT_LIST_SIZE = 10;
/** The items assumed for a connection whose field declares no `listSize`, when `first` is not given. */
export const UNDECLARED_PAGE = 100;
/** The longest run of a quoted name or value an error message keeps. */
export const MAX_ECHO = 64;

/** Counts saturate here: a fragment bomb's 2^1000 stays a number, and 0 × it stays 0. */
const SATURATED = 1e15;
const sat = (n: number) => (n > SATURATED ? SATURATED : n);

interface Shape {
  depth: number;
  aliases: number;
  directives: number;
}
const NOTHING: Shape = { depth: 0, aliases: 0, directives: 0 };

/** Depth, aliases and directives of each operation of a document; each fragment measured once. */
export function documentShapes(document: DocumentNode): { operation: OperationDefinitionNode; shape: Shape }[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  // null while being measured: a cycle counts nothing more (the spec's own validation refuses it).
  const measured = new Map<string, Shape | null>();
  const ofFragment = (name: string): Shape => {
    if (measured.has(name)) return measured.get(name) ?? NOTHING;
    const fragment = fragments.get(name);
    if (!fragment) return NOTHING;
    measured.set(name, null);
    const inner = ofSet(fragment.selectionSet);
    const shape = { ...inner, directives: sat(inner.directives + (fragment.directives?.length ?? 0)) };
    measured.set(name, shape);
    return shape;
  };
  const ofSet = (set: SelectionSetNode | undefined): Shape => {
    if (!set) return NOTHING;
    let depth = 0;
    let aliases = 0;
    let directives = 0;
    for (const s of set.selections) {
      directives += s.directives?.length ?? 0;
      let inner: Shape;
      if (s.kind === Kind.FIELD) {
        inner = ofSet(s.selectionSet);
        if (s.alias) aliases += 1;
        // Introspection (__schema, __type) adds no depth: its fan-out is bounded by the cost.
        depth = Math.max(depth, s.name.value.startsWith('__') ? 0 : 1 + inner.depth);
      } else {
        inner = s.kind === Kind.INLINE_FRAGMENT ? ofSet(s.selectionSet) : ofFragment(s.name.value);
        depth = Math.max(depth, inner.depth);
      }
      aliases = sat(aliases + inner.aliases);
      directives = sat(directives + inner.directives);
    }
    return { depth, aliases, directives };
  };
  const operations: { operation: OperationDefinitionNode; shape: Shape }[] = [];
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const inner = ofSet(d.selectionSet);
    let directives = inner.directives + (d.directives?.length ?? 0);
    for (const v of d.variableDefinitions ?? []) directives += v.directives?.length ?? 0;
    operations.push({ operation: d, shape: { ...inner, directives: sat(directives) } });
  }
  return operations;
}

const refusal = (message: string, code: string, node?: OperationDefinitionNode) => new GraphQLError(message, { nodes: node ? [node] : undefined, extensions: { code } });

/** The errors of the limits on a document's shape (depth, aliases, directives), before validation. */
export function shapeErrors(document: DocumentNode): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const { operation, shape } of documentShapes(document)) {
    if (shape.depth > MAX_QUERY_DEPTH) {
      errors.push(refusal(`the query is nested ${shape.depth} levels deep; at most ${MAX_QUERY_DEPTH} are allowed`, 'QUERY_TOO_DEEP', operation));
    }
    if (shape.aliases > MAX_QUERY_ALIASES) {
      errors.push(refusal(`the operation has ${count(shape.aliases)} aliases (fragments counted each time they are spread); at most ${MAX_QUERY_ALIASES} are allowed`, 'TOO_MANY_ALIASES', operation));
    }
    if (shape.directives > MAX_QUERY_DIRECTIVES) {
      errors.push(refusal(`the operation has ${count(shape.directives)} directives (fragments counted each time they are spread); at most ${MAX_QUERY_DIRECTIVES} are allowed`, 'TOO_MANY_DIRECTIVES', operation));
    }
  }
  return errors;
}

const count = (n: number) => (n >= SATURATED ? 'more than 10^15' : String(n));

type AnyField = GraphQLField<unknown, unknown>;

function fieldOf(schema: GraphQLSchema, parent: GraphQLNamedType | undefined, name: string): AnyField | undefined {
  if (name === '__typename') return TypeNameMetaFieldDef;
  if (name === '__schema' && parent === schema.getQueryType()) return SchemaMetaFieldDef;
  if (name === '__type' && parent === schema.getQueryType()) return TypeMetaFieldDef;
  return isObjectType(parent) || isInterfaceType(parent) ? parent.getFields()[name] : undefined;
}

/** A Relay connection's own lists (edges) hold the page its field asked for, already counted there. */
const isConnection = (t: GraphQLNamedType | undefined) => isObjectType(t) && 'edges' in t.getFields() && 'pageInfo' in t.getFields();

export interface OperationCost {
  cost: number;
  /** Does it read __schema or __type? */
  introspects: boolean;
  /** A list field asked for more than its cap (BAD_USER_INPUT), if any. */
  overCap: GraphQLError | null;
  /** Does it depend on the variables' values (a `first: $n`)? If not, it is the document's for good. */
  byVariables: boolean;
}

/**
 * The cost of an operation of a validated document (see the comment at the
 * top): each fragment costed once, whatever the number of its spreads.
 */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined): OperationCost {
  const result: OperationCost = { cost: 0, introspects: false, overCap: null, byVariables: false };
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const defaults = new Map<string, unknown>();
  for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) defaults.set(v.variable.name.value, valueFromASTUntyped(v.defaultValue));
  const argumentValue = (field: { arguments?: readonly ArgumentNode[] }, arg: string): unknown => {
    const node = field.arguments?.find((a) => a.name.value === arg)?.value;
    if (!node) return undefined;
    if (node.kind === Kind.VARIABLE) {
      result.byVariables = true;
      const name = node.name.value;
      return variables && Object.hasOwn(variables, name) ? variables[name] : defaults.get(name);
    }
    return valueFromASTUntyped(node, variables ?? undefined);
  };
  // A fragment is costed on its own type condition; null while being costed (a cycle adds nothing).
  const costed = new Map<string, number | null>();
  const ofFragment = (name: string): number => {
    if (costed.has(name)) return costed.get(name) ?? 0;
    const fragment = fragments.get(name);
    if (!fragment) return 0;
    costed.set(name, null);
    const cost = ofSet(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value) ?? undefined);
    costed.set(name, cost);
    return cost;
  };
  const sizeOf = (field: AnyField, node: Parameters<typeof argumentValue>[0], parent: GraphQLNamedType | undefined): number => {
    const size = field.extensions?.listSize as ListSize | undefined;
    if (size) {
      if (!size.arg || size.max === undefined) return size.default;
      const value = argumentValue(node, size.arg);
      // A value of the wrong type is the executor's to refuse; cost it at the cap meanwhile.
      if (value != null && !Array.isArray(value) && !Number.isInteger(value)) return size.max;
      try {
        return listSizeOf(value, size);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        result.overCap ??= new GraphQLError(e.message, { extensions: { code: 'BAD_USER_INPUT' } });
        return size.max;
      }
    }
    if (isConnection(getNamedType(field.type))) {
      // A connection that declares no listSize: its `first`, else a page of UNDECLARED_PAGE.
      const first = argumentValue(node, 'first');
      return Number.isInteger(first) && (first as number) >= 0 ? (first as number) : UNDECLARED_PAGE;
    }
    return isListType(getNullableType(field.type)) && !isConnection(parent) ? DEFAULT_LIST_SIZE : 1;
  };
  const ofSet = (set: SelectionSetNode, parent: GraphQLNamedType | undefined): number => {
    let cost = 0;
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const name = s.name.value;
        if (name === '__schema' || name === '__type') result.introspects = true;
        const field = fieldOf(schema, parent, name);
        const inner = s.selectionSet ? ofSet(s.selectionSet, field ? getNamedType(field.type) : undefined) : 0;
        cost = sat(cost + 1 + (field ? sizeOf(field, s, parent) : 1) * inner);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        cost = sat(cost + ofSet(s.selectionSet, s.typeCondition ? (schema.getType(s.typeCondition.name.value) ?? undefined) : parent));
      } else {
        cost = sat(cost + ofFragment(s.name.value));
      }
    }
    return cost;
  };
  result.cost = root ? ofSet(operation.selectionSet, root) : 0;
  return result;
}

/** The costs of operations that do not depend on their variables: most reads (the walk is 10-20 µs). */
const costs = new WeakMap<OperationDefinitionNode, OperationCost>();

/** Why an operation may not run for this caller, or null. */
export function executionRefusal(
  args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: { readonly [name: string]: unknown } | null },
  principal: Principal | null | undefined,
): GraphQLError | null {
  const operation = getOperationAST(args.document, args.operationName);
  if (!operation) return null; // the executor's to refuse
  let known = costs.get(operation);
  if (!known) {
    known = operationCost(args.schema, args.document, operation, args.variableValues);
    if (!known.byVariables) costs.set(operation, known);
  }
  const { cost, introspects, overCap } = known;
  if (introspects && !hasRole(principal ?? null, 'VIEWER')) {
    return new GraphQLError(`${principal?.role ?? 'an anonymous caller'} may not introspect the schema (__schema, __type): that needs a VIEWER token or above`, {
      extensions: { code: 'FORBIDDEN' },
    });
  }
  if (overCap) return overCap;
  if (cost > MAX_QUERY_COST) {
    return new GraphQLError(
      `the operation may cost ${count(cost)} (each field 1, the fields under a list once per item it may hold: a connection's first, the ids given, else ${DEFAULT_LIST_SIZE}); at most ${MAX_QUERY_COST} are allowed: ask for fewer items, or page`,
      { extensions: { code: 'QUERY_TOO_COMPLEX' } },
    );
  }
  return null;
}

/** `"…"` runs longer than MAX_ECHO cut short, and no "Did you mean …?". */
export function boundedMessage(message: string): string {
  return message
    .replace(/ Did you mean [^?]*\?/g, '')
    .replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) => (inner.length <= MAX_ECHO ? whole : `"${inner.slice(0, MAX_ECHO).replace(/\\+$/, '')}…" (${inner.length} characters)`));
}

/** The error, its message bounded (boundedMessage). */
export function boundedError(error: GraphQLError): GraphQLError {
  const message = boundedMessage(error.message);
  if (message === error.message) return error;
  // Of the error's own class: under a bundler the executor's GraphQLError may be another copy's.
  const Err = error.constructor as typeof GraphQLError;
  return new Err(message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, originalError: error.originalError, extensions: error.extensions });
}

const isGraphQLError = (e: unknown): e is GraphQLError => e instanceof GraphQLError || Object.prototype.toString.call(e) === '[object GraphQLError]';

function parseBounded(source: string | Source, options?: Parameters<typeof parse>[1]): DocumentNode {
  try {
    return parse(source, { ...options, maxTokens: MAX_QUERY_TOKENS });
  } catch (e) {
    if (!isGraphQLError(e)) throw e;
    if (/Document contains more that \d+ tokens/.test(e.message)) {
      throw new GraphQLError(`the document has more than ${MAX_QUERY_TOKENS} tokens; at most ${MAX_QUERY_TOKENS} are allowed`, {
        source: e.source,
        positions: e.positions,
        extensions: { code: 'TOO_MANY_TOKENS' },
      });
    }
    throw boundedError(e);
  }
}

/** The query limits, for yoga (HTTP, SSE and graphql-ws alike, since all run through its envelope). */
export function useQueryLimits(): Plugin<{ principal?: Principal | null }> {
  return {
    onParse({ params, setParseFn }) {
      // Refused here, before yoga's cache of parse results keeps the document as a key.
      const length = typeof params.source === 'string' ? params.source.length : params.source.body.length;
      if (length > MAX_QUERY_LENGTH) {
        throw new GraphQLError(`the document is ${length} characters long; at most ${MAX_QUERY_LENGTH} are allowed (put large values in variables)`, {
          extensions: { code: 'QUERY_TOO_LARGE' },
        });
      }
      setParseFn(parseBounded);
    },
    onValidate({ validateFn, setValidationFn }) {
      // The shape first: a refused document is not walked by the (costlier) standard rules.
      setValidationFn((schema, document, rules, typeInfo, options) => {
        const refused = shapeErrors(document);
        if (refused.length > 0) return refused;
        return validateFn(schema, document, rules, typeInfo, options).map(boundedError);
      });
    },
    onExecute({ args, setResultAndStopExecution }) {
      const refused = executionRefusal(args, (args.contextValue as { principal?: Principal | null }).principal);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const refused = executionRefusal(args, (args.contextValue as { principal?: Principal | null }).principal);
      if (refused) setResultAndStopExecution({ errors: [refused] });
    },
  };
}
