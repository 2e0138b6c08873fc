/**
 * Runs queries and mutations as code compiled by graphql-jit, fenced so that every answer stays
 * the executor's to the byte; and the document cache that bounds the compiled queries.
 */
import { createRequire } from 'node:module';
import { type JITCache, useGraphQlJit } from '@envelop/graphql-jit';
import {
  BREAK,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  getOperationAST,
  GraphQLError,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  isAbstractType,
  isListType,
  isObjectType,
  Kind,
  type SelectionSetNode,
  type Source,
  TypeInfo,
  type VariableDefinitionNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../logger.js';
import type { Metrics } from './metrics.js';

/** Parsed documents yoga keeps (default 1024); each holds its compiled query (~80 KB), see useJit. */
const DOCUMENT_CACHE_SIZE = 256;
/** Compilations in the life of the process (graphql-jit keeps ~2 KB of each for good), see useJit. */
const MAX_COMPILES = 10_000;

/** Yoga's cache of parsed documents: the DOCUMENT_CACHE_SIZE last used, without expiry. */
export const documentCache = () => new LRUCache<string, DocumentNode>({ max: DOCUMENT_CACHE_SIZE });

/** A compiled query as the jit plugin keeps it. */
export type CompiledEntry = NonNullable<ReturnType<JITCache['get']>>;

/**
 * graphql-jit's own coercion of an operation's variables (what its compiled query runs first),
 * about 20 times faster than graphql-js's (100 membership events: 38 µs against 900 µs). Its ESM
 * build imports a CommonJS module as if it were ESM and fails; the CommonJS build is loaded.
 */
const { compileVariableParsing } = createRequire(import.meta.url)('graphql-jit/dist/variables.js') as {
  compileVariableParsing(schema: GraphQLSchema, defs: readonly VariableDefinitionNode[]): (inputs: Record<string, unknown>) => { errors?: unknown[] };
};

export interface Jit {
  plugins: (Plugin | ReturnType<typeof useGraphQlJit>)[];
  /** The compiled queries by their document's text (as many as yoga keeps documents): known-queries.ts runs them. */
  compiledByText: { get(text: string): CompiledEntry | undefined };
  /** A compiled query's data with its keys in the executor's order (itself when graphql-jit's order is the same). */
  inExecutorOrder(schema: GraphQLSchema, document: DocumentNode, data: ExecutionResult['data']): ExecutionResult['data'];
}

/**
 * Queries and mutations run as JavaScript compiled from their document by graphql-jit, instead of
 * through yoga's generic executor, which spends much of a read walking its lists of 50 objects
 * (promises, and the garbage they leave). bench:topology on PostgreSQL, server CPU per request:
 * about a quarter less for clusters(first: 50), a fifth less for cluster(name) + 50 workers.
 *
 * The answers stay the executor's, to the byte (test/api/compiled-execution.test.ts):
 * - a document is compiled on its second run, not its first: compiling costs ~1 ms, about a whole
 *   read, which a one-off document (e.g. with literals inlined) would pay for nothing;
 * - compiled queries are cached per document object, whatever the operationName: only documents
 *   of one operation are compiled (else operation B would get A's compiled query);
 * - graphql-jit orders a selection set's fields before its fragments, and its fragments last to
 *   first: documents where that would change the order of the answer's keys are left out;
 * - subscriptions, and variables that do not coerce (graphql-jit says "Expected type DateTime."
 *   without the reason), stay with the executor;
 * - graphql-jit's errors carry line and column only: they are rebuilt with positions in the
 *   document, as the executor's are, which is what maskError and yoga's serializer build on.
 * But for one thing: when several fields fail under a parent they null, graphql-jit lists each
 * error, the executor only the first to fail (which one depends on timing).
 * Memory: a compiled query lives as long as yoga's cache keeps its document, so DOCUMENT_CACHE_SIZE
 * bounds them (documentCache); but graphql-jit 0.8.7 also keeps ~2 KB of every compilation for good
 * (a module-level memo, zalando-incubator/graphql-jit#287), so after MAX_COMPILES new documents stay
 * with the executor.
 */
export function useJit(logger: Logger, metrics: Metrics): Jit {
  // Per document: absent until its first run, then whether it may be compiled, and whether its
  // answers' keys are put back in the executor's order (jitAnswersAlike).
  const compilable = new WeakMap<DocumentNode, Verdict>();
  const compiled = new WeakSet<DocumentNode>();
  // Per document: graphql-jit's coercion of its variables, which decides whether they coerce
  // (graphql-js's, which decided it before, took 0.9 ms of a 100-event membership report).
  const coercers = new WeakMap<DocumentNode, (inputs: Record<string, unknown>) => { errors?: unknown[] }>();
  // The plugin's own cache is by document object; this one by text too (bounded as yoga's
  // documentCache), so that a known query's compiled code can be found from its text.
  const byText = new LRUCache<string, CompiledEntry>({ max: DOCUMENT_CACHE_SIZE });
  let compiles = 0;
  const jit = useGraphQlJit(
    {},
    {
      enableIf: ({ schema, document, operationName, variableValues }) => {
        const verdict = compilable.get(document);
        if (verdict === undefined) compilable.set(document, jitAnswersAlike(schema, document));
        if (!verdict) return false;
        const op = getOperationAST(document, operationName ?? undefined);
        if (!op) return false;
        const defs = op.variableDefinitions ?? [];
        if (defs.length > 0) {
          let coerce = coercers.get(document);
          if (!coerce) coercers.set(document, (coerce = compileVariableParsing(schema, defs)));
          if (coerce(variableValues ?? {}).errors) return false;
        }
        if (compiled.has(document)) return true;
        // The same text parsed again (yoga's cache let it go): the plugin finds its compiled query by text.
        const text = document.loc?.source.body;
        if (text !== undefined && byText.has(text)) {
          compiled.add(document);
          return true;
        }
        if (compiles >= MAX_COMPILES) return false;
        compiles++;
        metrics.compiledDocuments.inc();
        compiled.add(document);
        return true;
      },
      onError: (result) => logger.error('graphql-jit could not compile a document', { errors: result.errors?.map((e) => e.message) }),
      cache: byText,
    },
  );
  const inExecutorOrder: Jit['inExecutorOrder'] = (schema, document, data) => (compilable.get(document) === 'reorder' && data ? reorder(schema, document, data) : data);
  const relocate: Plugin = {
    onExecute: ({ args }) => ({
      onExecuteDone({ result, setResult }) {
        if (isAsyncIterable(result)) return;
        // Also walks the executor's own answers of such a document (its first run, variables left
        // to it): they are in that order already, and these documents' answers are small.
        const data = inExecutorOrder(args.schema, args.document, result.data);
        if (data === result.data && !result.errors?.some(madeByJit)) return;
        const { errors, ...rest } = result;
        if (data !== result.data) rest.data = data;
        const source = args.document.loc?.source;
        // The executor's shape: errors first.
        setResult(errors ? { errors: errors.map((e) => (madeByJit(e) ? withPositions(e, source) : e)), ...rest } : rest);
      },
    }),
  };
  return { plugins: [jit, relocate], compiledByText: byText, inExecutorOrder };
}

/** Whether graphql-jit may run a document: no; yes; yes, its answers' keys put back in the executor's order. */
type Verdict = false | 'alike' | 'reorder';

/**
 * One query or mutation; and either no selection set with a fragment anywhere but last (graphql-jit
 * answers in the executor's order), or one whose answers can be put back in that order: no @skip
 * or @include (which fields are collected would depend on variables), no introspection, and every
 * field of an interface or union type selecting `__typename` (each object's type is then known
 * from the answer).
 * The manager's report mutations are of that kind: `__typename` and a fragment per result type,
 * of which a ValidationError matches two (`... on ValidationError` and `... on Error`).
 */
function jitAnswersAlike(schema: GraphQLSchema, document: DocumentNode): Verdict {
  const ops = document.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
  if (ops.length !== 1 || ops[0]!.operation === 'subscription') return false;
  let alike = true;
  visit(document, {
    SelectionSet(set) {
      const fragment = set.selections.findIndex((s) => s.kind !== Kind.FIELD);
      if (fragment === -1 || fragment === set.selections.length - 1) return;
      alike = false;
      return BREAK;
    },
  });
  if (alike) return 'alike';
  let typed = true;
  const types = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(types, {
      Directive() {
        typed = false;
        return BREAK;
      },
      // Introspection's types are not walked by the reorder (it follows the schema's own fields).
      Field(field) {
        if (field.name.value === '__schema' || field.name.value === '__type') {
          typed = false;
          return BREAK;
        }
      },
      SelectionSet(set, _key, parent) {
        // A field's own selection set (its fragments' are collected into the object it selects).
        if (!parent || Array.isArray(parent) || (parent as { kind?: Kind }).kind !== Kind.FIELD) return;
        const type = types.getParentType();
        if (type && !isAbstractType(type)) return;
        if (type && set.selections.some((s) => s.kind === Kind.FIELD && s.name.value === '__typename' && !s.alias && !s.directives?.length)) return;
        typed = false;
        return BREAK;
      },
    }),
  );
  return typed ? 'reorder' : false;
}

/** Whether a fragment on `condition` applies to an object of `type` (graphql-js's doesFragmentConditionMatch). */
function applies(schema: GraphQLSchema, condition: string | undefined, type: GraphQLObjectType): boolean {
  if (condition === undefined || condition === type.name) return true;
  const t = schema.getType(condition);
  return t !== undefined && t !== null && isAbstractType(t) && schema.isSubType(t, type);
}

/** The fields of selection sets for an object of `type`, by response key, in the executor's order (graphql-js's collectFields, without directives). */
function collect(schema: GraphQLSchema, fragments: Map<string, FragmentDefinitionNode>, type: GraphQLObjectType, sets: readonly SelectionSetNode[], into = new Map<string, FieldNode[]>()) {
  for (const set of sets) {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        const key = s.alias?.value ?? s.name.value;
        const nodes = into.get(key);
        if (nodes) nodes.push(s);
        else into.set(key, [s]);
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        if (applies(schema, s.typeCondition?.name.value, type)) collect(schema, fragments, type, [s.selectionSet], into);
      } else {
        const f = fragments.get(s.name.value);
        if (f && applies(schema, f.typeCondition.name.value, type)) collect(schema, fragments, type, [f.selectionSet], into);
      }
    }
  }
  return into;
}

/** `data` with every object's keys in the order the executor would have given them. */
function reorder(schema: GraphQLSchema, document: DocumentNode, data: Record<string, unknown>): Record<string, unknown> {
  const op = getOperationAST(document);
  const root = op && schema.getRootType(op.operation);
  if (!op || !root) return data;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const value = (v: unknown, type: GraphQLOutputType, sets: SelectionSetNode[]): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const nullable = getNullableType(type);
    if (isListType(nullable)) return (v as unknown[]).map((item) => value(item, nullable.ofType, sets));
    const named = getNamedType(nullable);
    const runtime = isObjectType(named) ? named : schema.getType(String((v as { __typename?: unknown }).__typename));
    return isObjectType(runtime) ? object(v as Record<string, unknown>, runtime, sets) : v;
  };
  const object = (o: Record<string, unknown>, type: GraphQLObjectType, sets: SelectionSetNode[]) => {
    const out: Record<string, unknown> = {};
    const fields = type.getFields();
    for (const [key, nodes] of collect(schema, fragments, type, sets)) {
      if (!(key in o)) continue;
      const def = fields[nodes[0]!.name.value];
      out[key] = def ? value(o[key], def.type, nodes.flatMap((n) => (n.selectionSet ? [n.selectionSet] : []))) : o[key];
    }
    for (const key in o) if (!(key in out)) out[key] = o[key];
    return out;
  };
  return object(data, root, [op.selectionSet]);
}

/** Not made by GraphQLError's constructor, which always sets `positions`. */
const madeByJit = (e: GraphQLError) => !('positions' in e);

/** The error again, located by offsets in the document (from which GraphQLError computes the same locations). */
function withPositions(e: GraphQLError, source: Source | undefined): GraphQLError {
  const offset = (body: string, line: number, column: number) => {
    const lineBreak = /\r\n|[\n\r]/g;
    let start = 0;
    for (let l = 1; l < line && lineBreak.exec(body); l++) start = lineBreak.lastIndex;
    return start + column - 1;
  };
  return new GraphQLError(e.message, {
    source,
    positions: source && e.locations?.map((l) => offset(source.body, l.line, l.column)),
    path: e.path,
    originalError: e.originalError,
    extensions: e.extensions,
  });
}
