/**
 * Known queries: a query that yoga has answered without errors over HTTP POST is answered again,
 * the next times the same text comes, by the same compiled code, without yoga's per-request
 * machinery; every decision of that machinery is yoga's own, remembered from its answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type DocumentNode, type GraphQLSchema, getOperationAST, type OperationDefinitionNode } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../domain/auth.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { CompiledEntry, Jit } from './jit.js';
import { executionRefusal } from './limits.js';
import type { Metrics } from './metrics.js';

/** Queries remembered (text and operation name); each holds its document and compiled query (~80 KB), as yoga's documentCache does. */
const KNOWN_QUERIES = 256;
/** Response headers remembered, one set per (content-type, accept, origin) of the requests: a few per kind of client. */
const KNOWN_HEADER_SETS = 32;

interface Known {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  compiled: CompiledEntry;
  /** Its metrics (metrics.succeeded), made at its first known answer. */
  succeeded?: (seconds: number) => void;
}

/** What yoga's answer to a request depends on beyond its body: the media types asked and sent, and the origin (CORS). */
const headerKey = (contentType: unknown, accept: unknown, origin: unknown) => `${contentType ?? ''}\n${accept ?? ''}\n${origin ?? ''}`;
/** A request's body as JSON (yoga reads `application/graphql` bodies as the query's text), and the answers answer() writes. */
const JSON_MEDIA = /^\s*application\/json\s*(;|$)/i;
const JSON_ANSWER = /^(application\/json|application\/graphql-response\+json)\s*(;|$)/i;
const queryKey = (query: string, operationName: string | null) => (operationName === null ? query : `${operationName}\n${query}`);

export interface KnownQueries {
  /** The yoga plugin that learns: listed in yoga's plugins after the limits, metrics and jit plugins. */
  plugin: Plugin<{ principal?: Principal | null }>;
  /**
   * Answers a POST of /graphql whose body http.ts parsed (a JSON object, never an array), if its
   * query is known and succeeds; false when yoga is to answer it (unknown, refused, or with errors:
   * a query, so running it again through yoga is a second read, and what yoga answers is what is sent).
   */
  answer(req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>, principal: Principal | null): Promise<boolean>;
}

/**
 * Why: on bench:topology's clusters page, yoga's and @whatwg-node's per-request work (the Request,
 * Headers and Response objects, the envelop hooks walked through promise helpers that allocate
 * three objects and their closures per step) was about a third of what a request allocated, and
 * its share of the CPU, thinly spread. Once a query is known, everything that work decides is
 * known too: the document (parsed and validated, yoga's caches by its text), the compiled query
 * (graphql-jit's, by text: `compiledByText`), and the headers of a successful answer (by the
 * request's content-type, accept and origin). What still depends on the request is done here as
 * the plugins do it: the limits (executionRefusal, by principal and variables), the context
 * (`contextFor`, yoga's factory), the operation's metrics. Everything else yoga's plugins do acts
 * on errors (masking, the jit's error positions) or on first runs only (parse, validation, compile).
 * A plugin added later that acts on every successful execution must be done here too; one that
 * adds `extensions` keeps its queries on yoga's path (they are not learned), and headers it adds
 * are learned with the others (but for headers that vary per request: those it must do here).
 *
 * The answer is byte for byte yoga's (test/api/known-queries.test.ts): status 200, the same
 * headers, and the result as yoga serializes it (JSON.stringify of `{ data }`).
 */
export function knownQueries(opts: {
  schema: GraphQLSchema;
  metrics: Metrics;
  compiledByText: Jit['compiledByText'];
  inExecutorOrder: Jit['inExecutorOrder'];
  contextFor: (principal: Principal | null) => GraphQLContext;
}): KnownQueries {
  const { schema, metrics, compiledByText, inExecutorOrder, contextFor } = opts;
  const known = new LRUCache<string, Known>({ max: KNOWN_QUERIES });
  const headerSets = new Map<string, Record<string, string>>();
  /** Requests whose query was answered without errors, until yoga's response to them is seen. */
  const succeeded = new WeakSet<object>();

  const plugin: Plugin<{ principal?: Principal | null }> = {
    onExecute({ args }) {
      const ctx = args.contextValue as { request?: Request; params?: { query?: unknown; operationName?: unknown } };
      const request = ctx.request;
      const query = ctx.params?.query;
      if (request?.method !== 'POST' || typeof query !== 'string') return;
      const operationName = typeof ctx.params?.operationName === 'string' ? ctx.params.operationName : null;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'query') return;
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result) || result.errors?.length || result.extensions) return;
          const compiled = compiledByText.get(query);
          if (!compiled) return; // not compiled (yet): its answers are the executor's
          known.set(queryKey(query, operationName), { document: args.document, operation, compiled });
          succeeded.add(request);
        },
      };
    },
    onResponse({ request, response }) {
      if (!succeeded.has(request) || response.status !== 200) return;
      // Only what answer() sends: a JSON body (not yoga's event streams or multipart answers), of a JSON request, not encoded.
      if (!JSON_MEDIA.test(request.headers.get('content-type') ?? '') || request.headers.has('content-encoding')) return;
      if (!JSON_ANSWER.test(response.headers.get('content-type') ?? '') || response.headers.has('content-encoding')) return;
      const key = headerKey(request.headers.get('content-type'), request.headers.get('accept'), request.headers.get('origin'));
      if (headerSets.has(key) || headerSets.size >= KNOWN_HEADER_SETS) return;
      const headers: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (name !== 'content-length') headers[name] = value;
      });
      headerSets.set(key, headers);
    },
  };

  async function answer(req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>, principal: Principal | null): Promise<boolean> {
    if (req.url !== '/graphql' || req.headers['content-encoding'] !== undefined) return false; // a query string, an encoded body: yoga's to read
    const headers = headerSets.get(headerKey(req.headers['content-type'], req.headers.accept, req.headers.origin));
    if (!headers) return false;
    const { query, operationName = null, variables = null } = params;
    for (const k in params) if (k !== 'query' && k !== 'operationName' && k !== 'variables') return false;
    if (typeof query !== 'string' || (operationName !== null && typeof operationName !== 'string')) return false;
    if (variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) return false;
    const entry = known.get(queryKey(query, operationName));
    if (!entry) return false;
    const variableValues = variables as Record<string, unknown> | null;
    if (executionRefusal({ schema, document: entry.document, operationName, variableValues }, principal)) return false;
    const start = performance.now();
    let result: Awaited<ReturnType<CompiledEntry['query']>>;
    try {
      result = await entry.compiled.query(undefined, contextFor(principal), variableValues ?? {});
    } catch {
      return false; // what yoga makes of it (masked, logged) is the answer
    }
    if (isAsyncIterable(result) || result.errors?.length) return false;
    entry.succeeded ??= metrics.succeeded(operationName ?? entry.operation.name?.value, 'query');
    entry.succeeded((performance.now() - start) / 1000);
    metrics.knownQueryAnswers.inc();
    // Encoded once: its length is the buffer's (Buffer.byteLength would walk the text a second time).
    const data = inExecutorOrder(schema, entry.document, result.data);
    const bytes = Buffer.from(JSON.stringify(data === result.data ? result : { ...result, data }));
    res.writeHead(200, { ...headers, 'content-length': bytes.length }).end(bytes);
    return true;
  }

  return { plugin, answer };
}
