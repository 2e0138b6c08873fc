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

  it('sends logged events that carry their log position as the newest position only (other instances read them from the log), the others in full', () => {
    const logged = (i: number): BusEvent => ({ topic: 'command', payload: { ...(event(i).payload as any), position: String(100 + i) } });
    const health: BusEvent = { topic: 'health', payload: { clusterId: 'c1' } };
    const payloads = encodeEvents('me', [logged(1), logged(2), health, logged(3)], () => {});
    expect(payloads).toHaveLength(1);
    expect(payloads[0]!.length).toBeLessThan(100);
    expect(decodeEvents(payloads[0]!)).toEqual({ origin: 'me', events: [health], upTo: 103n });
    // Only logged ones: one small payload still, with no event in it.
    expect(encodeEvents('me', [logged(4)], () => {}).map(decodeEvents)).toEqual([{ origin: 'me', events: [], upTo: 104n }]);
    // Without positions (the event log off), events go in full.
    expect(encodeEvents('me', [event(5)], () => {}).map(decodeEvents)).toEqual([{ origin: 'me', events: [event(5)], upTo: null }]);
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
