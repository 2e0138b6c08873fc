import type { Role } from './types.js';

/** Who is calling. */
export type Principal =
  | { kind: 'bootstrap'; name: string; role: 'ADMIN'; tokenId: null }
  | { kind: 'token'; name: string; role: Role; tokenId: string; clusterName: string | null }
  | { kind: 'session'; name: string; role: 'MANAGER'; sessionId: string; clusterId: string; managerId: string };

/** An API token as the API shows it (its secret is never kept; only its hash is, in the store). */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  /** An enrollment token limited to one cluster. */
  clusterName: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

const RANK: Record<Exclude<Role, 'MANAGER'>, number> = { VIEWER: 1, OPERATOR: 2, ADMIN: 3 };

/** Operator roles nest (VIEWER < OPERATOR < ADMIN); MANAGER is apart and never grants operator rights. */
export function hasRole(p: Principal | null, needed: Exclude<Role, 'MANAGER'>): boolean {
  if (!p || p.role === 'MANAGER') return false;
  return RANK[p.role] >= RANK[needed];
}

export const isManagerSession = (p: Principal | null): p is Extract<Principal, { kind: 'session' }> => p?.kind === 'session';
export const isEnrollment = (p: Principal | null): p is Extract<Principal, { kind: 'token' }> => p?.kind === 'token' && p.role === 'MANAGER';

/**
 * May this enrollment token register a cluster that exists already (and so replace its manager)?
 * A token made for the cluster by name always may; an unscoped one only if the cluster is bound
 * to it (it registered the cluster last) or was released by an admin. Anything else would let any
 * enrollment token take over any cluster: its tasks, its health.
 */
export function mayReEnroll(token: { tokenId: string; clusterName: string | null }, cluster: { name: string; enrolledByTokenId: string | null }): boolean {
  if (token.clusterName !== null) return token.clusterName === cluster.name;
  return cluster.enrolledByTokenId === null || cluster.enrolledByTokenId === token.tokenId;
}
