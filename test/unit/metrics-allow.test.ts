import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_ALLOW } from '../../src/config.js';
import { metricsAllowList } from '../../src/server/metrics.js';

describe('who may read /metrics without a token (OC_METRICS_ALLOW)', () => {
  it('by default, loopback only, IPv4 seen as IPv6 included', () => {
    const allowed = metricsAllowList(DEFAULT_METRICS_ALLOW);
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(allowed(a), a).toBe(true);
    for (const a of ['10.0.0.1', '::ffff:10.0.0.1', 'fe80::1', '192.168.0.1', undefined]) expect(allowed(a), String(a)).toBe(false);
  });

  it('matches addresses and ranges of both families', () => {
    const allowed = metricsAllowList(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    for (const a of ['10.255.0.1', '::ffff:10.1.1.1', '192.168.1.7', 'fd12::3']) expect(allowed(a), a).toBe(true);
    for (const a of ['11.0.0.1', '192.168.1.8', '127.0.0.1', '::1', 'fe00::1']) expect(allowed(a), a).toBe(false);
  });

  it('with no entry ("none"), no address', () => {
    expect(metricsAllowList([])('127.0.0.1')).toBe(false);
  });
});
