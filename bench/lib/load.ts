import autocannon from 'autocannon';

export interface LoadSettings {
  connections: number;
  warmupSeconds: number;
  durationSeconds: number;
}

export interface LoadResult {
  /** Successful responses per second over the measured window. */
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  /** Connection errors, timeouts and non-2xx answers: any of them spoils the run. */
  failures: number;
  seconds: number;
}

export interface GraphQLTarget {
  url: string;
  token: string | null;
  query: string;
  variables?: Record<string, unknown>;
}

export const requestBody = (t: GraphQLTarget) => JSON.stringify({ query: t.query, variables: t.variables });
export const requestHeaders = (t: GraphQLTarget): Record<string, string> => ({
  'content-type': 'application/json',
  accept: 'application/graphql-response+json, application/json',
  ...(t.token ? { authorization: `Bearer ${t.token}` } : {}),
});

/** One POST of the target; throws on HTTP or GraphQL errors. */
export async function post<T = any>(t: GraphQLTarget): Promise<T> {
  const res = await fetch(`${t.url}/graphql`, { method: 'POST', headers: requestHeaders(t), body: requestBody(t) });
  const body = (await res.json()) as { data?: T; errors?: unknown[] };
  if (res.status !== 200 || body.errors?.length) throw new Error(`GraphQL failed (${res.status}): ${JSON.stringify(body.errors ?? body)}`);
  return body.data as T;
}

interface Run {
  result: autocannon.Result;
  /** Every response's latency in ms, at full resolution (autocannon's histogram keeps whole ms). */
  latencies: number[];
}

function run(t: GraphQLTarget, connections: number, seconds: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const instance = autocannon(
      { url: `${t.url}/graphql`, method: 'POST', headers: requestHeaders(t), body: requestBody(t), connections, duration: seconds, pipelining: 1 },
      (err, result) => (err ? reject(err) : resolve({ result, latencies })),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode === 200) latencies.push(responseTime);
    });
  });
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : Number.NaN);

/**
 * A warm-up (discarded), then the measured window; `during` brackets the measured window only.
 * Several targets (the same query on several servers): the connections are shared among them, all
 * loaded at once, and the figures are over every response.
 */
export async function measure<S>(
  t: GraphQLTarget | readonly GraphQLTarget[],
  s: LoadSettings,
  during?: { before(): Promise<S>; after(start: S, r: LoadResult): Promise<void> },
): Promise<LoadResult> {
  const targets: readonly GraphQLTarget[] = Array.isArray(t) ? t : [t as GraphQLTarget];
  const share = (i: number) => Math.max(1, Math.floor(s.connections / targets.length) + (i < s.connections % targets.length ? 1 : 0));
  const runAll = (seconds: number) => Promise.all(targets.map((x, i) => run(x, share(i), seconds)));
  if (s.warmupSeconds > 0) await runAll(s.warmupSeconds);
  const start = await during?.before();
  const runs = await runAll(s.durationSeconds);
  const latencies = runs.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const seconds = Math.max(...runs.map((r) => r.result.duration));
  const out: LoadResult = {
    rps: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    failures: runs.reduce((n, r) => n + r.result.errors + r.result.timeouts + r.result.non2xx, 0),
    seconds,
  };
  if (during) await during.after(start as S, out);
  return out;
}
