/**
 * Builds the operator console (`npm run build:console`: console/ → console/dist, which the OC
 * serves at `/`) when it is not built, or was built from other sources than the ones here.
 *
 * npm runs it by itself, so nobody has to know it exists: `postinstall` (`npm install` and
 * `npm ci` leave a built console, CI included), `prestart` and `prelab` (after a `git pull` that
 * changed the console, `npm start` serves the new one). When the build is up to date it costs a
 * hash of the console's sources (milliseconds). A build that fails fails the npm command, loudly.
 *
 * "Up to date" is a content hash, not file times (a copy or a checkout resets those): the hash of
 * console/ (without dist/ and node_modules/), schema.graphql and package-lock.json, written to
 * console/dist/.source-hash after each build (the OC never serves dotfiles).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const STAMP = '.source-hash';
/** Files outside console/ that change what the build makes. */
const ALSO = ['schema.graphql', 'package-lock.json'];

/** The hash of what the console is built from; null when the repository has no console/ sources. */
export function sourceHash(root: string): string | null {
  const consoleDir = join(root, 'console');
  if (!existsSync(consoleDir)) return null;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, e.name);
      if (e.name === 'node_modules' || e.name.startsWith('.') || path === join(consoleDir, 'dist')) continue;
      if (e.isDirectory()) walk(path);
      else if (e.isFile()) files.push(path);
    }
  };
  walk(consoleDir);
  const hash = createHash('sha256');
  for (const path of [...files.sort(), ...ALSO.map((f) => join(root, f))]) {
    if (!existsSync(path)) continue;
    hash.update(relative(root, path).split(sep).join('/')).update('\0').update(readFileSync(path)).update('\0');
  }
  return hash.digest('hex');
}

export type ConsoleState = 'no-sources' | 'not-built' | 'stale' | 'fresh';

export function consoleState(root: string): ConsoleState {
  const hash = sourceHash(root);
  if (hash === null) return 'no-sources';
  const dist = join(root, 'console', 'dist');
  if (!existsSync(join(dist, 'index.html'))) return 'not-built';
  const stamp = join(dist, STAMP);
  return existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash ? 'fresh' : 'stale';
}

/** Builds when needed; returns the process's exit code. */
export function ensureConsole(root: string, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  const state = consoleState(root);
  if (state === 'fresh') return 0;
  if (state === 'no-sources') {
    log('console: no console/ folder here, nothing to build');
    return 0;
  }
  if (!existsSync(join(root, 'node_modules', 'vite', 'package.json'))) {
    // An install without devDependencies (npm ci --omit=dev): it cannot build, and may ship a build made elsewhere.
    log(
      state === 'stale'
        ? 'console: console/dist is older than its sources, and Vite is not installed (devDependencies) to rebuild it: serving it as it is'
        : 'console: NOT BUILT, and Vite is not installed (devDependencies) to build it: the OC will show a "not built" page at /. Run npm install (with devDependencies), or copy a console/dist built elsewhere',
    );
    return 0;
  }
  log(state === 'not-built' ? 'console: building the operator console (console/dist)…' : 'console: its sources changed since the last build: rebuilding console/dist…');
  // The npm that runs this hook (npm_execpath), else the one on the PATH.
  const npm = process.env['npm_execpath'];
  const run =
    npm && /npm-cli\.js$/.test(npm)
      ? spawnSync(process.execPath, [npm, 'run', 'build:console'], { cwd: root, stdio: 'inherit' })
      : spawnSync('npm', ['run', 'build:console'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  const fail = (why: string) => {
    log('');
    log(`console: BUILD FAILED: ${why}`);
    log('console: fix the error above and run npm run build:console (npm install, npm start and npm run lab stop here until');
    log('console: it builds; to start the OC without its console meanwhile: node --import tsx src/main.ts)');
    log('');
    return 1;
  };
  if (run.error) return fail(run.error.message);
  if (run.status !== 0) return fail(`npm run build:console exited with ${run.status ?? run.signal}`);
  if (!existsSync(join(root, 'console', 'dist', 'index.html'))) return fail('npm run build:console wrote no console/dist/index.html');
  // Hashed after the build: a build that generates files into console/ (codegen) is counted with them.
  writeFileSync(join(root, 'console', 'dist', STAMP), `${sourceHash(root)}\n`);
  log('console: built (console/dist)');
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit(ensureConsole(ROOT));
}
