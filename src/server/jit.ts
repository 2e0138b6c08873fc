/**
 * Runs queries and mutations as code compiled by graphql-jit, fenced so that every answer stays
 * the executor's to the byte; and the document cache that bounds the compiled queries.
 */
import { type JITCache, useGraphQlJit } from '@envelop/graphql-jit';
import { BREAK, type DocumentNode, getOperationAST, getVariableValues, GraphQLError, Kind, type Source, visit } from 'graphql';
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

export interface Jit {
  plugins: (Plugin | ReturnType<typeof useGraphQlJit>)[];
  /** The compiled queries by their document's text (as many as yoga keeps documents): known-queries.ts runs them. */
  compiledByText: { get(text: string): CompiledEntry | undefined };
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
  // Per document: absent until its first run, then whether it may be compiled.
  const compilable = new WeakMap<DocumentNode, boolean>();
  const compiled = new WeakSet<DocumentNode>();
  // The plugin's own cache is by document object; this one by text too (bounded as yoga's
  // documentCache), so that a known query's compiled code can be found from its text.
  const byText = new LRUCache<string, CompiledEntry>({ max: DOCUMENT_CACHE_SIZE });
  let compiles = 0;
  const jit = useGraphQlJit(
    {},
    {
      enableIf: ({ schema, document, operationName, variableValues }) => {
        const verdict = compilable.get(document);
        if (verdict === undefined) compilable.set(document, jitAnswersAlike(document));
        if (!verdict) return false;
        const op = getOperationAST(document, operationName ?? undefined);
        const defs = op?.variableDefinitions ?? [];
        if (op === null || (defs.length > 0 && 'errors' in getVariableValues(schema, defs, variableValues ?? {}))) return false;
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
  const relocate: Plugin = {
    onExecute: ({ args }) => ({
      onExecuteDone({ result, setResult }) {
        if (isAsyncIterable(result) || !result.errors?.some(madeByJit)) return;
        const { errors, ...rest } = result;
        const source = args.document.loc?.source;
        setResult({ errors: errors.map((e) => (madeByJit(e) ? withPositions(e, source) : e)), ...rest });
      },
    }),
  };
  return { plugins: [jit, relocate], compiledByText: byText };
}

/** One query or mutation, and no selection set with a fragment anywhere but last (see useJit). */
function jitAnswersAlike(document: DocumentNode): boolean {
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
  return alike;
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
