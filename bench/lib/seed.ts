import { documentText, RegisterManagerMutation, ReportStatsMutation } from '../../simulator/documents.js';
import { type GraphQLTarget, post } from './load.js';

export interface SeedShape {
  clusters: number;
  workersPerCluster: number;
  /** Registrations in flight at once. */
  concurrency: number;
}

export const clusterName = (i: number) => `bench-${String(i).padStart(4, '0')}`;
export const memberId = (i: number) => `w-${String(i).padStart(3, '0')}`;

/** The manager protocol's own documents (simulator/documents.ts), as a real manager sends them. */
const REGISTER = documentText(RegisterManagerMutation);
const REPORT_STATS = documentText(ReportStatsMutation);

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(lanes);
}

/**
 * Seeds the topology through the public API, as real managers would: one registerManager per
 * cluster (with an enrollment token) carrying its full membership, then one reportStats per
 * cluster with its session token.
 */
export async function seedTopology(url: string, enrollmentToken: string, shape: SeedShape): Promise<{ sessions: string[] }> {
  const startedAt = new Date(Date.now() - 3_600_000).toISOString();
  const kinds = ['AS', 'ESB', 'DB', 'CACHE'];
  const indexes = Array.from({ length: shape.clusters }, (_, i) => i);
  const sessions: string[] = new Array(shape.clusters);
  await pool(indexes, shape.concurrency, async (i) => {
    const name = clusterName(i);
    const t: GraphQLTarget = {
      url,
      token: enrollmentToken,
      query: REGISTER,
      variables: {
        input: {
          clusterName: name,
          kind: kinds[i % kinds.length],
          host: `${name}-mgr`,
          url: `http://${name}-mgr:9990`,
          version: '1.0.0',
          workers: Array.from({ length: shape.workersPerCluster }, (_, w) => ({
            memberId: memberId(w),
            host: `${name}-${memberId(w)}.local`,
            port: 8080,
            // A few stopped workers, so health and counts are not all trivially equal.
            state: w === 0 && i % 10 === 0 ? 'STOPPED' : 'RUNNING',
            startedAt,
            artifacts: [{ name: 'app', version: '1.0.0' }],
          })),
        },
      },
    };
    const d = await post(t);
    if (d.registerManager.__typename !== 'RegisterManagerPayload') throw new Error(`registerManager ${name}: ${d.registerManager.message}`);
    sessions[i] = d.registerManager.sessionToken;
  });
  await pool(indexes, shape.concurrency, async (i) => {
    const samples = Array.from({ length: shape.workersPerCluster }, (_, w) => ({
      memberId: memberId(w),
      cpuPercent: 10 + ((i * 7 + w * 13) % 80),
      memoryMb: 512 + ((i + w) % 512),
      requestsPerSec: 100 + w,
      errorsPerSec: w % 3,
    }));
    const d = await post({ url, token: sessions[i]!, query: REPORT_STATS, variables: { input: { samples } } });
    if (d.reportStats.__typename !== 'ReportStatsPayload') throw new Error(`reportStats ${clusterName(i)}: ${d.reportStats.message}`);
    if (d.reportStats.accepted !== shape.workersPerCluster) throw new Error(`reportStats ${clusterName(i)}: accepted ${d.reportStats.accepted}`);
  });
  return { sessions };
}
