/**
 * GraphiQL, at GET /graphql for a browser, from files in the package (no CDN: it works on a
 * network without internet).
 *
 * @graphql-yoga/render-graphiql ships GraphiQL as strings (its script, its styles, Monaco's three
 * workers) that its own renderGraphiQL inlines into one 9 MB page. They are served here as files
 * instead, under /graphiql/<name>-<hash>, cached for good, behind a small page with no inline
 * script, so the page's Content-Security-Policy can forbid inline scripts. GraphiQL is started by
 * graphiql-start.js with a fetcher of ours: queries and mutations go over HTTP with the Headers
 * pane's headers, subscriptions over graphql-ws with the same headers as `connectionParams`, which
 * is where the OC reads a WebSocket's token (yoga's own fetcher sends them only over HTTP).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connectSources, contentType, IMMUTABLE, REVALIDATE, StaticFile, sendFile, sendText } from './static.js';

export const GRAPHIQL_PREFIX = '/graphiql/';

/**
 * GraphiQL's policy. Monaco (its editor) adds <style> elements as it runs, so styles may be
 * inline here (not in the console); scripts may not. Its fonts are data: URLs.
 */
export function graphiqlPolicy(host: string | undefined): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connectSources(host)}`,
    "worker-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

interface Built {
  page: StaticFile;
  assets: Map<string, StaticFile>;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

async function build(opts: { endpoint: string; title: string }): Promise<Built> {
  // 9 MB of strings: loaded with the first GraphiQL page, not at every start.
  const g = await import('@graphql-yoga/render-graphiql/graphiql');
  const require = createRequire(import.meta.url);
  const graphqlWs = await readFile(join(dirname(require.resolve('graphql-ws')), '../umd/graphql-ws.min.js'));
  const start = await readFile(join(dirname(fileURLToPath(import.meta.url)), 'graphiql-start.js'));
  const favicon = /^data:[^;]+;base64,(.*)$/.exec(g.favicon);

  const assets = new Map<string, StaticFile>();
  const add = (name: string, ext: string, body: Buffer | string) => {
    const file = new StaticFile(typeof body === 'string' ? Buffer.from(body) : body, contentType(`file${ext}`));
    const path = `${GRAPHIQL_PREFIX}${name}-${file.hash.slice(0, 12)}${ext}`;
    assets.set(path, file);
    return path;
  };
  const workers = {
    editorWorkerService: add('editor.worker', '.js', g.editorWorkerService),
    json: add('json.worker', '.js', g.jsonWorker),
    graphql: add('graphql.worker', '.js', g.graphqlWorker),
  };
  const css = add('graphiql', '.css', g.css);
  const icon = favicon ? add('favicon', '.ico', Buffer.from(favicon[1]!, 'base64')) : null;
  const scripts = [add('graphql-ws', '.js', graphqlWs), add('start', '.js', start), add('graphiql', '.js', g.js)];

  const config = {
    endpoint: opts.endpoint,
    workers,
    options: {
      title: opts.title,
      // What to fill in, for a first visit (GraphiQL keeps the pane's contents afterwards).
      headers: JSON.stringify({ Authorization: 'Bearer ' }, null, 2),
    },
  };
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(opts.title)} · GraphiQL</title>
${icon ? `<link rel="icon" href="${icon}">\n` : ''}<link rel="stylesheet" href="${css}">
${scripts.map((s) => `<script defer src="${s}"></script>`).join('\n')}
</head>
<body id="body" class="no-focus-outline">
<noscript>GraphiQL needs JavaScript.</noscript>
<div id="root" data-config="${escapeHtml(JSON.stringify(config))}"></div>
</body>
</html>
`;
  return { page: new StaticFile(Buffer.from(html), contentType('index.html')), assets };
}

export function createGraphiQL(opts: { endpoint: string; title: string }) {
  let built: Promise<Built> | null = null;
  const get = () => {
    built ??= build(opts);
    built.catch(() => {
      built = null;
    });
    return built;
  };
  return {
    /** The page, for a browser's GET /graphql. */
    async page(req: IncomingMessage, res: ServerResponse): Promise<void> {
      sendFile(req, res, (await get()).page, { cacheControl: REVALIDATE, policy: graphiqlPolicy(req.headers.host) });
    },
    /** One of its files, under /graphiql/. */
    async asset(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
      const policy = graphiqlPolicy(req.headers.host);
      const file = req.method === 'GET' || req.method === 'HEAD' ? (await get()).assets.get(pathname) : undefined;
      if (!file) {
        sendText(req, res, 404, 'text/plain; charset=utf-8', 'not found\n', policy);
        return;
      }
      sendFile(req, res, file, { cacheControl: IMMUTABLE, policy });
    },
  };
}

export type GraphiQL = ReturnType<typeof createGraphiQL>;
