/** How much the console asks for in one request (it stands alone: the API's tests import it). */

/**
 * Clusters whose worker strips one request reads. The OC refuses an operation that may cost more
 * than 250,000 (docs/api.md): each cluster may hold 1,000 workers of 7 fields as urql sends them
 * (with its __typename on each object), so 30 clusters (210,000) is the most that always passes.
 */
export const STRIP_BATCH = 30;
