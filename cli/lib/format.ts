/** Tables, colours, durations and ages for people; JSON for scripts. */
import { usage } from './errors.js';

export type OutputFormat = 'table' | 'json';

export function parseOutput(v: string): OutputFormat {
  if (v === 'table' || v === 'json') return v;
  throw usage(`--output must be table or json, not "${v}"`);
}

/** Colour only on a terminal, and never with NO_COLOR set (https://no-color.org). */
export const useColor = (stream: NodeJS.WriteStream = process.stdout) => Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== 'dumb';

const SGR = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1, dim: 2 } as const;
export type Tint = keyof typeof SGR;

export function paint(text: string, tint: Tint | null, on = useColor()): string {
  return on && tint ? `\x1b[${SGR[tint]}m${text}\x1b[0m` : text;
}

const STATE_TINT: Record<string, Tint> = {
  HEALTHY: 'green',
  SUCCEEDED: 'green',
  RUNNING: 'green',
  DEGRADED: 'yellow',
  PAUSED: 'yellow',
  STARTING: 'yellow',
  STOPPING: 'yellow',
  PENDING: 'gray',
  SKIPPED: 'gray',
  STOPPED: 'gray',
  CANCELLED: 'magenta',
  FAILED: 'red',
  UNAVAILABLE: 'red',
  UNREACHABLE: 'red',
  REVOKED: 'gray',
};

/** A state word in its colour. Commands RUNNING are blue (in progress), workers RUNNING green (up). */
export function state(word: string, opts: { command?: boolean; on?: boolean } = {}): string {
  const tint = opts.command && word === 'RUNNING' ? 'blue' : (STATE_TINT[word] ?? null);
  return paint(word, tint, opts.on ?? useColor());
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escapes are what it strips
const ANSI = /\x1b\[[0-9;]*m/g;
export const stripAnsi = (s: string) => s.replace(ANSI, '');
export const visibleLength = (s: string) => stripAnsi(s).length;

/** Aligned columns, two spaces apart, headers in capitals (like kubectl get). */
export function table(headers: string[], rows: string[][], opts: { right?: number[] } = {}): string {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(Math.max(0, widths[i]! - visibleLength(c)));
        if (opts.right?.includes(i)) return pad + c;
        return i === cells.length - 1 ? c : c + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(headers.map((h) => paint(h, 'bold'))), ...rows.map(line)].join('\n');
}

/** Label: value lines, labels aligned (like kubectl describe). */
export function fields(pairs: [string, string][]): string {
  const w = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${paint(`${k}:`.padEnd(w), 'bold')}  ${v}`).join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `1500ms`, `60s`, `5m`, `1h`, `1m30s` → milliseconds. A bare number is refused: say the unit. */
export function parseDuration(text: string, flag = 'duration'): number {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) throw usage(`${flag} "${text}" is not a duration (e.g. 1500ms, 60s, 5m, 1h)`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * UNITS[m[2]!]!;
  return Math.round(ms);
}

/** Milliseconds as people say them: 850ms, 12s, 1m30s, 2h05m. */
export function duration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1).replace(/\.0$/, '')}s`;
  if (s < 60) return `${Math.round(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** How long ago, kubectl's AGE style: 5s, 3m, 2h, 4d. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function parseInteger(text: string, flag: string, min = 0): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw usage(`${flag} must be a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${text}"`);
  return Number(text);
}
