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

/** A warm-up (discarded), then the measured window; `during` brackets the measured window only. */
export async function measure<S>(t: GraphQLTarget, s: LoadSettings, during?: { before(): Promise<S>; after(start: S, r: LoadResult): Promise<void> }): Promise<LoadResult> {
  if (s.warmupSeconds > 0) await run(t, s.connections, s.warmupSeconds);
  const start = await during?.before();
  const { result: r, latencies } = await run(t, s.connections, s.durationSeconds);
  latencies.sort((a, b) => a - b);
  const out: LoadResult = {
    rps: latencies.length / r.duration,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    failures: r.errors + r.timeouts + r.non2xx,
    seconds: r.duration,
  };
  if (during) await during.after(start as S, out);
  return out;
}
