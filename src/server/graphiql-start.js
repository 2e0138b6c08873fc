// Starts GraphiQL in the browser (served by graphiql.ts; a classic script, run after graphql-ws's
// bundle and before GraphiQL's, both deferred). Its fetcher sends the Headers pane's headers with
// every operation: over HTTP for queries and mutations, and as graphql-ws `connectionParams` for
// subscriptions, which is where the OC reads a WebSocket's token.
(() => {
  const root = document.getElementById('root');
  const config = JSON.parse(root.dataset.config);
  // Monaco's workers: files of the OC, not blobs (the page's policy allows workers from 'self' only).
  self.MonacoEnvironment = {
    globalAPI: false,
    getWorkerUrl: (_moduleId, label) => config.workers[label] ?? config.workers.editorWorkerService,
  };

  const endpoint = new URL(config.endpoint, location.href);
  const socketUrl = endpoint.href.replace(/^http/, 'ws');

  /** query, mutation or subscription: from GraphiQL's parsed document, else from the text. */
  function operationType(params, opts) {
    const ops = (opts?.documentAST?.definitions ?? []).filter((d) => d.kind === 'OperationDefinition');
    const op = ops.find((d) => !params.operationName || d.name?.value === params.operationName) ?? ops[0];
    if (op) return op.operation;
    // Top-level keywords only: comments and strings removed, braces counted.
    const text = String(params.query ?? '')
      .replace(/"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|#[^\n]*/g, ' ');
    let depth = 0;
    let awaitingBody = false;
    const found = [];
    for (const m of text.matchAll(/[{}]|\b(query|mutation|subscription|fragment)\b\s*([_A-Za-z]\w*)?/g)) {
      if (m[0] === '{') {
        if (depth === 0 && !awaitingBody) found.push({ type: 'query', name: null }); // `{ ... }` alone
        awaitingBody = false;
        depth++;
      } else if (m[0] === '}') depth = Math.max(0, depth - 1);
      else if (depth === 0) {
        found.push({ type: m[1], name: m[2] ?? null });
        awaitingBody = true;
      }
    }
    const named = found.filter((f) => f.type !== 'fragment');
    return (named.find((f) => params.operationName && f.name === params.operationName) ?? named[0])?.type ?? 'query';
  }

  const stringHeaders = (headers) => Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, String(v)]));

  async function overHttp(params, headers) {
    let res;
    try {
      res = await fetch(endpoint, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...headers },
        body: JSON.stringify({ query: params.query, variables: params.variables ?? undefined, operationName: params.operationName ?? undefined }),
      });
    } catch (err) {
      return { errors: [{ message: `the OC did not answer (${err.message}): is it up?` }] };
    }
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      return { errors: [{ message: `the OC answered ${res.status} ${res.statusText}: ${text.slice(0, 300)}` }] };
    }
  }

  // One lazy graphql-ws client per set of headers: it connects with its first subscription
  // (the headers as connectionParams) and hangs up when the last one ends.
  const clients = new Map();
  function clientFor(headers) {
    const key = JSON.stringify(headers);
    let client = clients.get(key);
    if (!client) {
      client = globalThis.graphqlWs.createClient({ url: socketUrl, connectionParams: headers, lazy: true, retryAttempts: 0 });
      clients.set(key, client);
    }
    return client;
  }

  /** What went wrong with the socket, in words (a CloseEvent alone shows as {"isTrusted":true}). */
  function socketProblem(err) {
    if (Array.isArray(err)) return err;
    if (err && typeof err.code === 'number') {
      const why = `the OC closed the WebSocket: ${err.code}${err.reason ? ` ${err.reason}` : ''}`;
      const hint = err.code === 4401 ? ' (put {"Authorization": "Bearer <token>"} in the Headers pane)' : '';
      return [{ message: why + hint }];
    }
    if (err instanceof Error) return [{ message: err.message }];
    return [{ message: 'the WebSocket to the OC failed: is it up?' }];
  }

  async function* overWebSocket(params, headers) {
    const events = clientFor(headers).iterate({
      query: params.query,
      variables: params.variables ?? undefined,
      operationName: params.operationName ?? undefined,
    });
    try {
      for await (const event of events) yield event;
    } catch (err) {
      yield { errors: socketProblem(err) };
    }
  }

  function fetcher(params, opts) {
    const headers = stringHeaders(opts?.headers);
    return operationType(params, opts) === 'subscription' ? overWebSocket(params, headers) : overHttp(params, headers);
  }

  addEventListener('DOMContentLoaded', () => {
    // Tabs, history and the Headers pane (a token) last as long as the browser tab, like the
    // console's sign-in: sessionStorage, not GraphiQL's default localStorage.
    globalThis.YogaGraphiQL.renderYogaGraphiQL(root, { ...config.options, fetcher, storage: sessionStorage });
  });
})();
