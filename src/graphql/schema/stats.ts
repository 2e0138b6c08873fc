import type { Stats } from '../../domain/types.js';
import { builder } from '../builder.js';

export const StatsRef = builder.objectRef<Stats>('Stats').implement({
  fields: (t) => ({
    sampledAt: t.field({ type: 'DateTime', resolve: (s) => s.sampledAt }),
    cpuPercent: t.exposeFloat('cpuPercent', { description: 'average over the workers sampled' }),
    memoryMb: t.exposeFloat('memoryMb', { description: 'sum' }),
    requestsPerSec: t.exposeFloat('requestsPerSec', { description: 'sum' }),
    errorsPerSec: t.exposeFloat('errorsPerSec', { description: 'sum' }),
  }),
});
