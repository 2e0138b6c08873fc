/**
 * The lock that keeps a PGlite data folder to one OC process (an `oc.lock` file naming its holder).
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { DatabaseOpenError } from './errors.js';

const heldLocks = new Set<string>();

/**
 * One OC per PGlite folder: PGlite has no lock of its own, and two processes writing one folder
 * corrupt it. Like PostgreSQL's postmaster.pid: a file naming the process that holds the folder,
 * created atomically; a file left by a process that is gone (or by this very pid in an earlier
 * life, as in a restarted container) is taken over.
 */
export function lockDataDir(dataDir: string): { release(): void } {
  mkdirSync(dataDir, { recursive: true });
  const path = resolve(dataDir, 'oc.lock');
  if (heldLocks.has(path)) throw new DatabaseOpenError(`OC_DATA_DIR ${dataDir} is already open in this process`);
  for (let tries = 0; ; tries++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 2) throw err;
      const holder = readLock(path);
      if (holder && holder.pid !== process.pid && holder.host === hostname() && alive(holder.pid)) {
        throw new DatabaseOpenError(
          `OC_DATA_DIR ${dataDir} is in use by another OC (pid ${holder.pid}, since ${holder.since}); stop it first, or give this one another OC_DATA_DIR (lock: ${path})`,
        );
      }
      if (holder && holder.host !== hostname()) {
        throw new DatabaseOpenError(
          `OC_DATA_DIR ${dataDir} is locked by an OC on host ${holder.host} (pid ${holder.pid}); if that OC is gone, delete ${path} and start again`,
        );
      }
      try {
        unlinkSync(path); // left behind by a process that is gone
      } catch {}
    }
  }
  heldLocks.add(path);
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    heldLocks.delete(path);
    process.off('exit', release);
    try {
      if (readLock(path)?.pid === process.pid) unlinkSync(path);
    } catch {}
  };
  process.once('exit', release);
  return { release };
}

function readLock(path: string): { pid: number; host: string; since: string } | null {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v?.pid === 'number' ? { pid: v.pid, host: String(v.host ?? ''), since: String(v.since ?? '?') } : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
