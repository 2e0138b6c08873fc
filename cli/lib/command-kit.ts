/** What every `oc` subcommand shares: the global options, printing a line, and reaching the OC. */
import { type Api, api } from './api.js';
import { loadTarget } from './config.js';
import { usage } from './errors.js';
import type { OutputFormat } from './format.js';

export interface Globals {
  output: OutputFormat;
}

export const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
export const connect = async (): Promise<Api> => api(await loadTarget());

export function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  const v = value.toUpperCase() as T;
  if (!allowed.includes(v)) throw usage(`${flag} must be one of ${allowed.map((a) => a.toLowerCase()).join(', ')}, not "${value}"`);
  return v;
}

