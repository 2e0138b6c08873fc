/**
 * What a bench must undo (servers, fleets, databases), whatever happens: `onCleanup` registers,
 * `cleanup` runs everything last-in first-out, and Ctrl-C cleans up before exiting (twice: at once).
 */
const cleanups: (() => Promise<unknown> | unknown)[] = [];

export function onCleanup(fn: () => Promise<unknown> | unknown): void {
  cleanups.push(fn);
}

export async function cleanup(): Promise<void> {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch (err) {
      console.error('cleanup:', (err as Error).message);
    }
  }
}

let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  console.error('\ninterrupted: cleaning up');
  void cleanup().then(() => process.exit(130));
});
