/**
 * Where `oc` keeps the OC's URL and token: `$XDG_CONFIG_HOME/oc/config.json` (else
 * `~/.config/oc/config.json`), mode 0600 in a 0700 folder. `OC_URL` and `OC_TOKEN` override it.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, usage } from './errors.js';

export interface Target {
  url: string;
  token: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.config');
  return join(base, 'oc', 'config.json');
}

/** `http://host:4000`, with `/graphql` and trailing slashes taken off; a URL without a scheme is refused. */
export function normalizeUrl(raw: string): string {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw usage(`"${raw}" is not a URL (e.g. http://localhost:4000)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw usage(`"${raw}" is not an http(s) URL`);
  return parsed.href.replace(/\/+$/, '').replace(/\/graphql$/, '');
}

async function readStored(path: string): Promise<Partial<Target>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e: any) {
    if (e?.code === 'ENOENT') return {};
    throw new CliError('CONFIG', `cannot read ${path}: ${e?.message ?? e}`);
  }
  try {
    const v = JSON.parse(text);
    return { url: typeof v.url === 'string' ? v.url : undefined, token: typeof v.token === 'string' ? v.token : undefined };
  } catch {
    throw new CliError('CONFIG', `${path} is not valid JSON: run oc login again`);
  }
}

/** The OC to talk to: env first, then the file written by `oc login`. */
export async function loadTarget(env: NodeJS.ProcessEnv = process.env): Promise<Target> {
  const stored = await readStored(configPath(env));
  const url = env.OC_URL?.trim() || stored.url;
  const token = env.OC_TOKEN?.trim() || stored.token;
  if (!url || !token) {
    throw new CliError('NOT_LOGGED_IN', `no ${url ? 'token' : 'OC'} configured: run \`oc login URL\`, or set OC_URL and OC_TOKEN`);
  }
  return { url: normalizeUrl(url), token };
}

export async function saveTarget(target: Target, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, `${JSON.stringify({ url: target.url, token: target.token }, null, 2)}\n`, { mode: 0o600 });
  await chmod(path, 0o600); // writeFile's mode applies only when it creates the file
  return path;
}
