/**
 * Cluster-specific operations a manager advertises at registration and answers in
 * RUN_OPERATION tasks. State lives with the cluster (it survives a manager crash), results are
 * plausible JSON, and a bad argument or an unknown name fails with a message an operator can act on.
 */
import type { OperationInput } from './oc-client.js';
import type { Rng } from './random.js';

export type OperationOutcome = { ok: true; result: unknown } | { ok: false; message: string };

export interface OperationContext {
  now: number;
  /** memberIds of the RUNNING workers (where the change applies). */
  runningMembers: string[];
}

export interface ClusterOperations {
  readonly specs: OperationInput[];
  run(name: string | null, args: unknown, ctx: OperationContext): OperationOutcome;
}

const NAME_ARG = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1 } },
  required: ['name'],
  additionalProperties: false,
};
const NO_ARGS = { type: 'object', properties: {}, additionalProperties: false };

interface ProxyService {
  name: string;
  enabled: boolean;
  transports: string[];
  changedAt: number;
}

interface WebApp {
  name: string;
  contextPath: string;
  version: string;
  state: 'STARTED' | 'STOPPED';
  deployedAt: number;
  redeployCount: number;
}

const PROXY_NAMES = ['OrderProxy', 'PaymentProxy', 'InventoryProxy', 'CustomerProxy', 'ShippingProxy', 'LegacyBillingProxy'];
const WEB_APPS = ['shop', 'checkout', 'admin', 'api'];

/** The operations of a cluster of `kind`; none for a kind the simulator does not know. */
export function operationsFor(kind: string, rng: Rng, now: number): ClusterOperations {
  if (kind === 'ESB') return esbOperations(rng, now);
  if (kind === 'AS') return asOperations(rng, now);
  return { specs: [], run: (name) => ({ ok: false, message: `unknown operation "${name}": this ${kind} cluster offers none` }) };
}

function esbOperations(rng: Rng, now: number): ClusterOperations {
  const proxies = new Map<string, ProxyService>();
  for (const name of PROXY_NAMES) {
    proxies.set(name, {
      name,
      enabled: name !== 'LegacyBillingProxy',
      transports: rng.chance(0.5) ? ['https'] : ['http', 'https'],
      changedAt: now - rng.int(1, 30) * 86_400_000,
    });
  }
  const view = (p: ProxyService, ctx: OperationContext) => ({
    name: p.name,
    enabled: p.enabled,
    transports: p.transports,
    endpoint: `/services/${p.name}`,
    activeOn: p.enabled ? ctx.runningMembers.length : 0,
    changedAt: new Date(p.changedAt).toISOString(),
  });
  const toggle = (enabled: boolean) => (args: unknown, ctx: OperationContext): OperationOutcome => {
    const name = nameArg(args);
    if (!name.ok) return name;
    const p = proxies.get(name.value);
    if (!p) return { ok: false, message: `no proxy service named "${name.value}" (known: ${[...proxies.keys()].join(', ')})` };
    const previous = p.enabled;
    if (previous !== enabled) {
      p.enabled = enabled;
      p.changedAt = ctx.now;
    }
    return { ok: true, result: { ...view(p, ctx), previouslyEnabled: previous, changed: previous !== enabled, appliedTo: ctx.runningMembers } };
  };
  const handlers: Record<string, (args: unknown, ctx: OperationContext) => OperationOutcome> = {
    listProxyServices: (_args, ctx) => ({ ok: true, result: { proxyServices: [...proxies.values()].map((p) => view(p, ctx)) } }),
    enableProxyService: toggle(true),
    disableProxyService: toggle(false),
  };
  return {
    specs: [
      { name: 'listProxyServices', description: 'List the proxy services deployed on the cluster, with their state.', inputSchema: NO_ARGS },
      { name: 'enableProxyService', description: 'Enable a proxy service on every running worker.', inputSchema: NAME_ARG },
      { name: 'disableProxyService', description: 'Disable a proxy service on every running worker.', inputSchema: NAME_ARG },
    ],
    run: dispatch(handlers),
  };
}

function asOperations(rng: Rng, now: number): ClusterOperations {
  const apps = new Map<string, WebApp>();
  for (const name of WEB_APPS) {
    apps.set(name, {
      name,
      contextPath: name === 'shop' ? '/' : `/${name}`,
      version: `${rng.int(1, 4)}.${rng.int(0, 9)}.${rng.int(0, 20)}`,
      state: 'STARTED',
      deployedAt: now - rng.int(1, 60) * 86_400_000,
      redeployCount: 0,
    });
  }
  const view = (a: WebApp) => ({
    name: a.name,
    contextPath: a.contextPath,
    version: a.version,
    state: a.state,
    deployedAt: new Date(a.deployedAt).toISOString(),
    redeployCount: a.redeployCount,
  });
  const handlers: Record<string, (args: unknown, ctx: OperationContext) => OperationOutcome> = {
    listWebApps: () => ({ ok: true, result: { webApps: [...apps.values()].map(view) } }),
    redeployWebApp: (args, ctx) => {
      const name = nameArg(args);
      if (!name.ok) return name;
      const app = apps.get(name.value);
      if (!app) return { ok: false, message: `no web application named "${name.value}" (known: ${[...apps.keys()].join(', ')})` };
      if (ctx.runningMembers.length === 0) return { ok: false, message: 'no worker is RUNNING: nothing to redeploy on' };
      app.redeployCount++;
      app.deployedAt = ctx.now;
      app.state = 'STARTED';
      return { ok: true, result: { ...view(app), redeployedOn: ctx.runningMembers } };
    },
  };
  return {
    specs: [
      { name: 'listWebApps', description: 'List the web applications deployed on the cluster.', inputSchema: NO_ARGS },
      { name: 'redeployWebApp', description: 'Redeploy a web application in place on every running worker.', inputSchema: NAME_ARG },
    ],
    run: dispatch(handlers),
  };
}

function dispatch(handlers: Record<string, (args: unknown, ctx: OperationContext) => OperationOutcome>) {
  return (name: string | null, args: unknown, ctx: OperationContext): OperationOutcome => {
    const handler = name ? handlers[name] : undefined;
    if (!handler) return { ok: false, message: `unknown operation "${name ?? ''}" (offered: ${Object.keys(handlers).join(', ')})` };
    return handler(parseArgs(args), ctx);
  };
}

/** JSON arguments may arrive as an object or, from some clients, as a JSON string. */
function parseArgs(args: unknown): unknown {
  if (typeof args !== 'string') return args ?? {};
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}

function nameArg(args: unknown): { ok: true; value: string } | { ok: false; message: string } {
  const name = args && typeof args === 'object' ? (args as Record<string, unknown>)['name'] : undefined;
  if (typeof name !== 'string' || name.length === 0) return { ok: false, message: 'argument "name" (a non-empty string) is required' };
  return { ok: true, value: name };
}
