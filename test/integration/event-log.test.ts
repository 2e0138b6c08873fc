import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { systemClock } from '../../src/domain/clock.js';
import { type BusEvent, EventBus, type EventMap, positionOf } from '../../src/events/bus.js';
import { Sequencer } from '../../src/events/sequencer.js';
import { inTransaction } from '../../src/services/deps.js';
import { EventService } from '../../src/services/event-service.js';
import { memoryLogger } from '../support/oc.js';
import { waitFor } from '../support/wait.js';
import { createTestDatabase, sqlRows, TEST_DATABASE_URL } from '../support/db.js';

/** The event log's append, under the services' transactions, on the real database (PGlite and PostgreSQL). */

let drop: () => Promise<void>;
let url: string | null;
const opened: Database[] = [];
beforeAll(async () => {
  const t = await createTestDatabase();
  drop = t.drop;
  url = t.url;
  opened.push(await t.open());
  if (url) opened.push(await t.open()); // a second pool: as a second OC instance
});
afterAll(async () => {
  for (const d of opened) await d.close();
  await drop?.();
});

const config = loadConfig({});
const CLUSTER = '00000000-0000-4000-8000-000000000001';
const membership = (i: number): EventMap['membership'] => ({
  clusterId: CLUSTER,
  change: 'STATE_CHANGED',
  at: new Date(),
  worker: {
    id: '00000000-0000-4000-8000-000000000002',
    clusterId: CLUSTER,
    memberId: `w-${i}`,
    host: 'h',
    port: null,
    state: 'RUNNING',
    startedAt: null,
    joinedAt: new Date(),
    stateChangedAt: new Date(),
    artifacts: [],
    stats: null,
  },
});

const logged = async (db: Database) => (await sqlRows<{ position: string }>(db, 'select position::text as position from event_log order by event_log.position')).map((r) => BigInt(r.position));

describe('the event log append', () => {
  it('logs nothing, hands out no position and publishes nothing for a transaction that rolls back', async () => {
    const db = opened[0]!;
    const bus = new EventBus();
    const heard: unknown[] = [];
    bus.on('membership', (p) => heard.push(p));
    await inTransaction({ db: db.db, bus, config }, async (_tx, emit) => emit({ topic: 'membership', payload: membership(0) }));
    const before = await logged(db);
    const head = await sqlRows(db, 'select position::text as p from event_log_head');
    await expect(
      inTransaction({ db: db.db, bus, config }, async (_tx, emit) => {
        emit({ topic: 'membership', payload: membership(1) });
        emit({ topic: 'membership', payload: membership(2) });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await logged(db)).toEqual(before);
    expect(await sqlRows(db, 'select position::text as p from event_log_head')).toEqual(head);
    expect(heard).toHaveLength(1);
    // The next commit takes the next position: no hole where the rolled-back one was.
    const next = membership(3);
    await inTransaction({ db: db.db, bus, config }, async (_tx, emit) => emit({ topic: 'membership', payload: next }));
    expect(next.position).toBe(String(before.at(-1)! + 1n));
  });

  it('stores the whole payload, so what another change adds to an event is logged too', async () => {
    const db = opened[0]!;
    const payload = { ...membership(4), snapshot: { anything: 'new', count: 3 } };
    await inTransaction({ db: db.db, bus: new EventBus(), config }, async (_tx, emit) => emit({ topic: 'membership', payload }));
    const rows = await sqlRows<{ payload: unknown }>(db, `select payload from event_log where position = ${payload.position}`);
    expect(rows[0]?.payload).toMatchObject({ clusterId: CLUSTER, change: 'STATE_CHANGED', snapshot: { anything: 'new', count: 3 }, worker: { memberId: 'w-4' } });
  });

  it('delivers events that reach it out of order in position order, once each, reading from the log those that never arrived', async () => {
    const db = opened[0]!;
    const bus = new EventBus();
    const sent: BusEvent[] = [];
    for (let i = 0; i < 5; i++) {
      await inTransaction({ db: db.db, bus, config }, async (_tx, emit) => {
        const e: BusEvent = { topic: 'membership', payload: membership(10 + i) };
        sent.push(e);
        emit(e);
      });
    }
    const position = (e: BusEvent) => positionOf(e)!;
    const events = new EventService({ db: db.db, bus, clock: systemClock, config, logger: memoryLogger() });
    const out: BusEvent[] = [];
    const sequencer = new Sequencer(position(sent[0]!) - 1n, (e) => out.push(e), events.readLog, memoryLogger(), 10);
    // The third and the first arrive; the second and the fourth never do (a lost NOTIFY); the fifth arrives twice.
    sequencer.push(sent[2]!, position(sent[2]!));
    sequencer.push(sent[0]!, position(sent[0]!));
    expect(out.map(position)).toEqual([position(sent[0]!)]);
    sequencer.push(sent[4]!, position(sent[4]!));
    sequencer.push(sent[4]!, position(sent[4]!));
    await waitFor(() => out.length === 5, 'the gaps to be filled from the log');
    expect(out.map(position)).toEqual(sent.map(position));
    expect(out.map((e) => (e.topic === 'membership' ? e.payload.worker.memberId : null))).toEqual(['w-10', 'w-11', 'w-12', 'w-13', 'w-14']);
    sequencer.push(sent[1]!, position(sent[1]!)); // late: delivered already
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toHaveLength(5);
    sequencer.stop();
  });

  it('reads from the log the events another instance says it committed (expect), once each and in order, also when told during a read', async () => {
    const db = opened[0]!;
    const bus = new EventBus();
    const sent: BusEvent[] = [];
    const write = async (i: number) =>
      inTransaction({ db: db.db, bus, config }, async (_tx, emit) => {
        const e: BusEvent = { topic: 'membership', payload: membership(30 + i) };
        sent.push(e);
        emit(e);
      });
    for (let i = 0; i < 3; i++) await write(i);
    const position = (e: BusEvent) => positionOf(e)!;
    const events = new EventService({ db: db.db, bus, clock: systemClock, config, logger: memoryLogger() });
    const out: BusEvent[] = [];
    // A read that takes a while, and a commit (told by expect) that lands while it is under way.
    let reads = 0;
    let during: Promise<void> | null = null;
    const slowRead: typeof events.readLog = async (after, upTo, limit) => {
      const rows = await events.readLog(after, upTo, limit);
      if (reads++ === 0) {
        during = (async () => {
          await write(3);
          sequencer.expect(position(sent[3]!));
        })();
        await during;
      }
      return rows;
    };
    const sequencer = new Sequencer(position(sent[0]!) - 1n, (e) => out.push(e), slowRead, memoryLogger(), 10_000);
    sequencer.expect(position(sent[2]!));
    await waitFor(() => out.length === 4, 'the events told of, read from the log');
    expect(out.map(position)).toEqual(sent.map(position));
    sequencer.expect(position(sent[1]!)); // delivered already: nothing more
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toHaveLength(4);
    sequencer.stop();
  });

  it.skipIf(!TEST_DATABASE_URL)('assigns positions in commit order under concurrent writers on two pools: a reader never sees a position before a smaller one', async () => {
    const [a, b] = opened as [Database, Database];
    const start = (await logged(a)).at(-1) ?? 0n;
    let writing = true;
    const holes: string[] = [];
    // A reader, all along: what it sees is always a contiguous run of positions.
    const reader = (async () => {
      while (writing) {
        const ps = (await logged(b)).filter((p) => p > start);
        for (let i = 0; i < ps.length; i++) if (ps[i] !== start + BigInt(i) + 1n) holes.push(`saw ${ps[i]} at index ${i} (${ps.slice(0, i + 1).join(',')})`);
      }
    })();
    const bus = new EventBus();
    const write = (db: Database, n: number) =>
      inTransaction({ db: db.db, bus, config }, async (tx, emit) => {
        // Work inside the transaction, of uneven length, so commits interleave.
        await tx.execute(sql.raw(`select pg_sleep(${(n % 5) / 1000})`));
        for (let i = 0; i < (n % 3) + 1; i++) emit({ topic: 'membership', payload: membership(n) });
      });
    const writers = Array.from({ length: 8 }, (_, w) =>
      (async () => {
        for (let n = 0; n < 25; n++) await write(w % 2 ? b : a, w * 100 + n);
      })(),
    );
    await Promise.all(writers);
    writing = false;
    await reader;
    expect(holes).toEqual([]);
    const ps = (await logged(a)).filter((p) => p > start);
    const expected = Array.from({ length: 8 }, (_, w) => Array.from({ length: 25 }, (_, n) => ((w * 100 + n) % 3) + 1).reduce((x, y) => x + y, 0)).reduce((x, y) => x + y, 0);
    expect(ps).toHaveLength(expected);
    expect(ps.every((p, i) => p === start + BigInt(i) + 1n)).toBe(true);
  });
});
