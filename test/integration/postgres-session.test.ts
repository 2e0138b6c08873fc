import type { Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { commitWith, send, transaction } from '../../src/db/transaction.js';
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
    const other = await openDatabase({ url: u.toString(), dataDir: null, poolSize: 1 });
    try {
      expect(await sqlRows(other, 'show statement_timeout')).toEqual([{ statement_timeout: '12345ms' }]);
      expect(await sqlRows(other, 'show jit')).toEqual([{ jit: 'off' }]);
    } finally {
      await other.close();
    }
  });

  it("send the statements of one event-loop turn to the database in one write: a transaction's BEGIN with its first statement, its last statement with COMMIT", async () => {
    const one = await openDatabase({ url: db.url!, dataDir: null, poolSize: 1 });
    try {
      // The pool's one connection, and the writes to its socket (a Writable's _write/_writev).
      const pool = (one.db as unknown as { $client: pg.Pool }).$client;
      const client = await pool.connect();
      client.release();
      const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
      let writes = 0;
      for (const m of ['_write', '_writev'] as const) {
        const original = socket[m] as (...a: unknown[]) => unknown;
        (socket as unknown as Record<string, unknown>)[m] = function (this: Socket, ...a: unknown[]) {
          writes++;
          return original.apply(this, a);
        };
      }
      const seen: number[] = [];
      const rows = await transaction(one.db, async (tx) => {
        await tx.execute(sql`select 1`);
        seen.push(writes); // BEGIN and the select
        return commitWith(tx, { name: 'oc_test_commit_with', text: 'select $1::int4 + 1' }, [41]);
      });
      seen.push(writes); // the statement and COMMIT
      expect(rows).toEqual([['42']]);
      expect(seen).toEqual([1, 2]);
      // Statements of separate turns are not held back: each is answered.
      expect(await sqlRows(one, 'select 7 as n')).toEqual([{ n: 7 }]);
      expect(writes).toBe(3);
      // A write sent without waiting (send) leaves with the transaction's last statement and COMMIT.
      await sqlRows(one, 'create table sent_writes (id int primary key)');
      const before = writes;
      await transaction(one.db, async (tx) => {
        await tx.execute(sql`select 1`);
        await send(tx, sql`insert into sent_writes values (1)`);
        await commitWith(tx, { name: 'oc_test_commit_after_send', text: 'insert into sent_writes values ($1::int4)' }, [2]);
      });
      expect(writes - before).toBe(2);
      expect(await sqlRows(one, 'select id from sent_writes order by id')).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      await one.close();
    }
  });

  it('fail a transaction with the error of a write sent without waiting, and keep nothing of it', async () => {
    await sqlRows(database, 'create table sent_fails (id int primary key)');
    const attempt = transaction(database.db, async (tx) => {
      await send(tx, sql`insert into sent_fails values (1)`);
      await send(tx, sql`insert into sent_fails values (1)`); // a duplicate: the transaction is aborted here
      await commitWith(tx, { name: 'oc_test_commit_after_failed_send', text: 'insert into sent_fails values ($1::int4)' }, [2]);
      return 'committed';
    });
    await expect(attempt).rejects.toThrow(/duplicate key/);
    expect(await sqlRows(database, 'select id from sent_fails')).toEqual([]);
    // Without commitWith: the transaction's own COMMIT is not reached either.
    const second = transaction(database.db, async (tx) => {
      await send(tx, sql`insert into sent_fails values (3)`);
      await send(tx, sql`insert into sent_fails values (3)`);
      return 'committed';
    });
    await expect(second).rejects.toThrow(/duplicate key/);
    expect(await sqlRows(database, 'select id from sent_fails')).toEqual([]);
    // The pool's connections are fine afterwards.
    expect(await sqlRows(database, 'select 1 as n')).toEqual([{ n: 1 }]);
  });
});
