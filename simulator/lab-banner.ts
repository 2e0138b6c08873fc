/**
 * What the lab prints once the fleet is up: the console link, GraphiQL, the tokens, and three
 * operations to paste (also as curl).
 */
import type { ClusterRow, LabOptions } from './lab.js';
import type { Scenario } from './scenario.js';

/** The three operations the lab prints: GraphQL to paste into GraphiQL. */
export function labOperations(clusterId: string) {
  const topology = `query Topology {
  system { clusterCount workerCount stats { cpuPercent memoryMb requestsPerSec errorsPerSec } }
  clusters(first: 20) {
    edges { node {
      id name kind health workerCount
      manager { host url connected lastSeenAt operations { name description } }
      artifacts { name version workerCount }
      workers(first: 10) { edges { node { memberId state startedAt stats { cpuPercent requestsPerSec } } } }
    } }
  }
}`;
  const restart = `mutation RollingRestart {
  restartCluster(input: { clusterId: "${clusterId}", strategy: { batchSize: 1, healthTimeoutMs: 60000 } }) {
    __typename
    ... on CommandPayload { command { id state progress { total succeeded } steps { memberId state } } }
    ... on Error { code message }
  }
}`;
  const subscription = `subscription WatchRollout {
  commandUpdated(clusterId: "${clusterId}") {
    id kind state message
    progress { total pending running succeeded failed skipped }
    steps { memberId state message }
  }
}`;
  return { topology, restart, subscription };
}

/** One line of curl for a GraphQL document (no single quotes in it: they would end the shell string). */
export function curlCommand(graphqlUrl: string, token: string, document: string, opts: { stream?: boolean } = {}): string {
  const oneLine = document.replace(/\s+/g, ' ').trim();
  if (oneLine.includes("'")) throw new Error('a document with a single quote cannot be pasted into a single-quoted shell string');
  const body = JSON.stringify({ query: oneLine });
  const accept = opts.stream ? ` -H 'accept: text/event-stream'` : '';
  return `curl -s${opts.stream ? 'N' : ''} ${graphqlUrl} -H 'authorization: Bearer ${token}' -H 'content-type: application/json'${accept} -d '${body}'`;
}

/** The console, signed in: the token rides in the fragment, which never leaves the browser. */
export function consoleLink(url: string, token: string): string {
  return `${url}/#token=${encodeURIComponent(token)}`;
}

/** Where the lab's OC keeps its data (a PostgreSQL URL with its password hidden). */
export function describeDatabase(opts: LabOptions): string {
  const url = process.env['DATABASE_URL'];
  if (url) {
    try {
      const u = new URL(url);
      if (u.password) u.password = '***';
      return `PostgreSQL ${u.toString()}`;
    } catch {
      return 'PostgreSQL (DATABASE_URL)';
    }
  }
  return `PGlite in ${opts.dataDir}`;
}

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((l) => by + l)
    .join('\n');
}

export function banner(o: {
  url: string;
  opts: LabOptions;
  scenario: Scenario;
  operatorToken: string;
  adminToken: string;
  target: ClusterRow;
  clusters: ClusterRow[];
  ocUpInMs: number;
  registeredInMs: number;
}): string {
  const graphqlUrl = `${o.url}/graphql`;
  const ops = labOperations(o.target.id);
  const shown = o.clusters.slice(0, 6).map((c) => `${c.name} (${c.kind}, ${c.workerCount} workers, ${c.health})`);
  const clusterList = shown.join(', ') + (o.scenario.clusters.length > shown.length ? `, … (${o.scenario.clusters.length} in all)` : '');
  const rule = '─'.repeat(78);
  return [
    '',
    rule,
    ` Operations Center lab: OC up in ${(o.ocUpInMs / 1000).toFixed(1)} s, every cluster registered ${(o.registeredInMs / 1000).toFixed(1)} s later`,
    rule,
    // First: one click and the operator is signed in (the console takes the token out of the address bar).
    `  Console         ${consoleLink(o.url, o.operatorToken)}`,
    `  GraphiQL        ${graphqlUrl}   (the token goes in its Headers pane, below)`,
    `  database        ${describeDatabase(o.opts)}`,
    `  fleet           scenario ${o.scenario.name}, profile ${o.opts.profile}, seed ${o.opts.seed}` +
      (o.opts.seedGiven ? '' : ` (replay: npm run lab -- --seed ${o.opts.seed})`),
    `  clusters        ${clusterList}`,
    '',
    `  operator token  ${o.operatorToken}`,
    `  admin token     ${process.env['OC_ADMIN_TOKEN'] ? '$OC_ADMIN_TOKEN' : o.adminToken}   (createApiToken, revokeApiToken, removeCluster)`,
    '',
    '  GraphiQL → Headers pane:',
    `    {"Authorization": "Bearer ${o.operatorToken}"}`,
    '',
    '  1. The topology: clusters, managers, workers, artifacts, stats',
    indent(ops.topology),
    '',
    `    ${curlCommand(graphqlUrl, o.operatorToken, ops.topology)}`,
    '',
    `  2. A rolling restart of ${o.target.name}, one worker at a time (watch it with 3)`,
    indent(ops.restart),
    '',
    `    ${curlCommand(graphqlUrl, o.operatorToken, ops.restart)}`,
    '',
    `  3. Watch ${o.target.name}'s commands (run it in a second GraphiQL tab, then 2; also membershipChanged, topologyChanged)`,
    indent(ops.subscription),
    '',
    '    over HTTP (server-sent events; GraphiQL and managers use the WebSocket):',
    `    ${curlCommand(graphqlUrl, o.operatorToken, ops.subscription, { stream: true })}`,
    '',
    '  Ctrl-C stops the fleet, then the OC.',
    rule,
    '',
  ].join('\n');
}
