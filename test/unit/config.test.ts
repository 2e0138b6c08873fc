import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return { problems: (e as ConfigError).problems, message: (e as ConfigError).message };
  }
  throw new Error('loadConfig accepted a bad value');
};

describe('loadConfig', () => {
  it('defaults every setting when the environment is empty', () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: '0.0.0.0',
      databaseUrl: null,
      dataDir: './.oc-data',
      adminToken: null,
      managerLeaseMs: 15000,
      logLevel: 'info',
      statsBucketSeconds: 10,
      statsRetentionHours: 24,
      eventRetentionHours: 168,
      auditRetentionDays: 90,
      eventLog: true,
      metricsAllow: ['127.0.0.0/8', '::1/128'],
      pgliteSharedBuffersMb: 16,
      driverConcurrency: 4,
      registrationConcurrency: 4,
      registrationQueue: 200,
      statsConcurrency: 6,
      statsQueue: 500,
    });
  });

  it('reads every variable', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATABASE_URL: 'postgresql://oc@db:5432/oc',
      OC_DATA_DIR: '/var/lib/oc',
      OC_ADMIN_TOKEN: 'a-long-enough-admin-token',
      OC_MANAGER_LEASE_MS: '3000',
      LOG_LEVEL: 'debug',
      OC_PGLITE_SHARED_BUFFERS_MB: '64',
      OC_DRIVER_CONCURRENCY: '16',
      OC_AUDIT_RETENTION_DAYS: '365',
      OC_STATS_CONCURRENCY: '12',
      OC_STATS_QUEUE: '0',
    });
    expect(c).toMatchObject({
      driverConcurrency: 16,
      statsConcurrency: 12,
      statsQueue: 0,
      auditRetentionDays: 365,
      port: 8080,
      host: '127.0.0.1',
      databaseUrl: 'postgresql://oc@db:5432/oc',
      dataDir: '/var/lib/oc',
      adminToken: 'a-long-enough-admin-token',
      managerLeaseMs: 3000,
      logLevel: 'debug',
      pgliteSharedBuffersMb: 64,
    });
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 4000, databaseUrl: null });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['LOG_LEVEL', 'loud'],
    ['OC_MANAGER_LEASE_MS', '-1'],
    ['OC_DRIVER_CONCURRENCY', '0'],
    ['OC_DRIVER_CONCURRENCY', '65'],
    ['OC_MANAGER_LEASE_MS', '1.5'],
    ['OC_MANAGER_LEASE_MS', '10'],
    ['DATABASE_URL', 'mysql://x'],
    ['OC_ADMIN_TOKEN', 'short'],
    ['OC_METRICS_ALLOW', 'localhost'],
    ['OC_METRICS_ALLOW', '10.0.0.0/33'],
    ['OC_METRICS_ALLOW', '10.0.0.1/8/1'],
    ['OC_METRICS_ALLOW', '::1/129'],
    ['OC_METRICS_ALLOW', '10.0.0.0/x'],
    ['OC_PGLITE_SHARED_BUFFERS_MB', '0'],
    ['OC_PGLITE_SHARED_BUFFERS_MB', '16MB'],
    ['OC_AUDIT_RETENTION_DAYS', '0'],
    ['OC_AUDIT_RETENTION_DAYS', '90d'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    const { problems, message } = problemsOf({ [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: `));
    expect(message).toContain(name);
  });

  it('reads OC_METRICS_ALLOW as addresses and CIDR ranges, comma or space separated; "none" allows no address', () => {
    expect(loadConfig({ OC_METRICS_ALLOW: '10.0.0.0/8, 192.168.1.7 fd00::/8' }).metricsAllow).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
    expect(loadConfig({ OC_METRICS_ALLOW: 'none' }).metricsAllow).toEqual([]);
    const { problems } = problemsOf({ OC_METRICS_ALLOW: '10.0.0.0/8,example.org' });
    expect(problems).toEqual([expect.stringContaining('"example.org" is not an IP address or CIDR range')]);
  });

  it('reports every bad variable at once', () => {
    const { problems } = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT']);
  });
});
