import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { createTestDatabase, sqlRows, TEST_DATABASE_URL } from '../support/db.js';

describe.runIf(TEST_DATABASE_URL)("the OC's PostgreSQL sessions", () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let database: Database;
  beforeAll(async () => {
    db = await createTestDatabase();
    database = await db.open();
  });
  afterAll(async () => {
    await database?.close();
    await db?.drop();
  });

  it('run without JIT compilation (an OLTP statement costed high would spend seconds compiling for a millisecond of work)', async () => {
    expect(await sqlRows(database, 'show jit')).toEqual([{ jit: 'off' }]);
  });

  it("keep the options given in DATABASE_URL's query", async () => {
    const u = new URL(db.url!);
    u.searchParams.set('options', '-c statement_timeout=12345');
    const { openDatabase } = await import('../../src/db/client.js');
    const other = await openDatabase({ url: u.toString(), dataDir: null, poolSize: 1 });
    try {
      expect(await sqlRows(other, 'show statement_timeout')).toEqual([{ statement_timeout: '12345ms' }]);
      expect(await sqlRows(other, 'show jit')).toEqual([{ jit: 'off' }]);
    } finally {
      await other.close();
    }
  });
});
