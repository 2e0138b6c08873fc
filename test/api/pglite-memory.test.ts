import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { queryRows } from '../../src/db/query.js';

const dirs: string[] = [];
const freshDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'oc-pglite-memory-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const setting = async (database: Awaited<ReturnType<typeof openDatabase>>, name: string) =>
  (await queryRows<{ setting: string; unit: string | null }>(database.db, sql`select setting, unit from pg_settings where name = ${name}`))[0];

describe('PGlite at rest', () => {
  it('creates a new folder’s database apart, then opens it with small buffers (16 MB shared_buffers), leaving postgresql.conf as initdb wrote it', async () => {
    const dir = freshDir();
    const database = await openDatabase({ url: null, dataDir: dir });
    try {
      // 8 kB pages: 2048 = 16 MB.
      expect(await setting(database, 'shared_buffers')).toEqual({ setting: '2048', unit: '8kB' });
      expect(await setting(database, 'maintenance_work_mem')).toEqual({ setting: String(16 * 1024), unit: 'kB' });
      expect(await setting(database, 'temp_buffers')).toEqual({ setting: '128', unit: '8kB' });
      // The migrations ran on it.
      expect((await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from clusters`))[0]!.n).toBe(0);
    } finally {
      await database.close();
    }
    expect(readFileSync(join(dir, 'postgresql.conf'), 'utf8')).toMatch(/^#?shared_buffers = 128MB/m);
  });

  it('opens an existing folder with the shared_buffers asked for (OC_PGLITE_SHARED_BUFFERS_MB)', async () => {
    const dir = freshDir();
    await (await openDatabase({ url: null, dataDir: dir })).close();
    const database = await openDatabase({ url: null, dataDir: dir, pgliteSharedBuffersMb: 32 });
    try {
      expect(await setting(database, 'shared_buffers')).toEqual({ setting: '4096', unit: '8kB' });
    } finally {
      await database.close();
    }
  });
});
