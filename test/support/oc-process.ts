import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface OcProcess {
  url: string;
  proc: ChildProcess;
  /** Everything it wrote to stderr (JSON log lines). */
  log: string[];
  /** Everything it wrote to stdout (the first start's ADMIN token banner). */
  out: string[];
  /** Has it exited (or been killed)? */
  readonly exited: boolean;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Calls `onLine` with each whole line a child process writes to a stream. */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}

const OC_COMMAND = [process.execPath, '--import', 'tsx', 'src/main.ts'];

/**
 * Starts `src/main.ts` as its own process (as `npm start` does) and waits until it listens.
 * `command` runs something else that starts it (e.g. `npm start` itself); `group`: in a process
 * group of its own, every process of which kill() signals.
 */
export async function spawnOc(
  env: Record<string, string>,
  timeoutMs = 30_000,
  command: string[] = OC_COMMAND,
  opts: { group?: boolean } = {},
): Promise<OcProcess> {
  const proc = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, which kill() then signals whole, as a terminal's Ctrl-C does.
    detached: opts.group === true,
  });
  const log: string[] = [];
  const out: string[] = [];
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const t = setTimeout(() => reject(new Error(`OC did not start within ${timeoutMs} ms:\n${log.join('\n')}`)), timeoutMs);
    onLines(proc.stderr!, (line) => {
      log.push(line);
      if (line.includes('operations center listening')) {
        clearTimeout(t);
        resolveUrl(JSON.parse(line).url.replace(/\/graphql$/, ''));
      }
    });
    onLines(proc.stdout!, (line) => out.push(line));
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`OC exited (${code}) before listening:\n${log.join('\n')}`));
    });
  });
  return {
    url,
    proc,
    log,
    out,
    get exited() {
      return proc.exitCode !== null || proc.signalCode !== null;
    },
    kill(signal) {
      if (proc.exitCode === null && proc.signalCode === null) {
        if (opts.group && proc.pid) process.kill(-proc.pid, signal);
        else proc.kill(signal);
      }
      return exited;
    },
  };
}

/** Runs `src/main.ts` expecting it to stop by itself (a start that fails): its exit code and output. */
export async function runOcToExit(env: Record<string, string>, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string[]; stdout: string[] }> {
  const proc = spawn(OC_COMMAND[0]!, OC_COMMAND.slice(1), {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  const stdout: string[] = [];
  onLines(proc.stderr!, (l) => stderr.push(l));
  onLines(proc.stdout!, (l) => stdout.push(l));
  const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((r) => proc.once('close', (c) => r(c)));
  clearTimeout(t);
  return { code, stderr, stdout };
}
