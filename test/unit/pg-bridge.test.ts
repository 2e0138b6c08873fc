import { describe, expect, it } from 'vitest';
import type { BusEvent } from '../../src/events/bus.js';
import { decodeEvents, encodeEvents, ownPrefix } from '../../src/events/pg-bridge.js';

const event = (i: number): BusEvent => ({ topic: 'command', payload: { commandId: `c${i}`, clusterId: null, parentId: null, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)) } });

describe('the PostgreSQL bus bridge encoding', () => {
  it('round-trips events with their dates revived', () => {
    const [p] = encodeEvents('me', [event(1)], () => {});
    const { origin, events } = decodeEvents(p!);
    expect(origin).toBe('me');
    expect(events).toEqual([event(1)]);
    expect((events[0]!.payload as any).at).toBeInstanceOf(Date);
  });

  it('splits many events into payloads under the NOTIFY limit, keeping their order', () => {
    const many = Array.from({ length: 500 }, (_, i) => event(i));
    const payloads = encodeEvents('me', many, () => {});
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(payloads.flatMap((p) => decodeEvents(p).events)).toEqual(many);
  });

  it('drops an event too large to send, and says so', () => {
    const big: BusEvent = { topic: 'credentialRevoked', payload: { tokenId: 'x'.repeat(9000), sessionId: null } };
    const dropped: BusEvent[] = [];
    const payloads = encodeEvents('me', [event(1), big, event(2)], (e) => dropped.push(e));
    expect(dropped).toEqual([big]);
    expect(payloads.flatMap((p) => decodeEvents(p).events)).toEqual([event(1), event(2)]);
  });

  it('numbers each payload, so that identical publications sent in one statement are all delivered (PostgreSQL folds identical payloads of one transaction)', () => {
    let n = 0;
    const serial = () => ++n;
    const health: BusEvent = { topic: 'health', payload: { clusterId: 'c1' } };
    const [a] = encodeEvents('me', [health], () => {}, serial);
    const [b] = encodeEvents('me', [health], () => {}, serial);
    expect(a).not.toBe(b);
    expect(decodeEvents(a!).events).toEqual([health]);
    expect(decodeEvents(b!).events).toEqual([health]);
  });

  it("recognises its own payloads by their first bytes, and no other instance's", () => {
    const [mine] = encodeEvents('me', [event(1)], () => {}, () => 7);
    const [theirs] = encodeEvents('other', [event(1)], () => {}, () => 7);
    expect(mine!.startsWith(ownPrefix('me'))).toBe(true);
    expect(theirs!.startsWith(ownPrefix('me'))).toBe(false);
  });
});
