import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { ValidationError } from '../domain/errors.js';

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type NodeType = 'Cluster' | 'Manager' | 'Worker' | 'Command' | 'ManagerTask' | 'ApiToken';

/** The database id inside a global id of the expected type; a malformed one is a ValidationError naming the field. */
export function parseId(globalId: string, type: NodeType, field: string): string {
  let decoded: { typename: string; id: string };
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    throw new ValidationError(`${field} is not a valid ${type} id`, field);
  }
  if (decoded.typename !== type || !UUID.test(decoded.id)) throw new ValidationError(`${field} is not a valid ${type} id`, field);
  return decoded.id.toLowerCase();
}

export const toGlobalId = (type: NodeType, id: string) => encodeGlobalID(type, id);

/** Opaque cursors: a prefix and the sort key. */
export function encodeCursor(kind: string, key: string): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: string, cursor: string | null | undefined, field = 'after'): string | null {
  if (cursor == null) return null;
  const raw = Buffer.from(cursor, 'base64url').toString('utf8');
  // A cursor holds a key of ours (a name, a date and an id): never a control character.
  if (!raw.startsWith(`${kind}:`) || cursor.length > 1024 || /\p{Cc}/u.test(raw)) throw new ValidationError(`${field} is not a cursor of this list`, field);
  return raw.slice(kind.length + 1);
}

export function pageSize(first: number | null | undefined, def: number, max: number, field = 'first'): number {
  if (first == null) return def;
  if (!Number.isInteger(first) || first < 0 || first > max) throw new ValidationError(`${field} must be between 0 and ${max} (got ${first})`, field);
  return first;
}

/**
 * How many items a list field may return, by one of its arguments: a connection's `first`
 * (its default when omitted), or the length of a list of ids. Declared on the field as
 * `extensions: { listSize }`; the field checks it when it runs, and the query limits
 * (src/server/limits.ts) check it, and cost the field by it, before the operation runs.
 * A list without such an argument may declare the items it usually holds (`{ default: n }`),
 * for the cost only. A connection field that declares nothing is costed by its `first`, or 100.
 */
export interface ListSize {
  arg?: string;
  /** The items when the argument is omitted (a connection's default page). */
  default: number;
  max?: number;
}

export const listSizeExtensions = (size: ListSize) => ({ listSize: size });

/** The size a list field's argument asks for; a ValidationError naming the argument when over the field's cap. */
export function listSizeOf(value: unknown, size: ListSize): number {
  if (!size.arg || size.max === undefined) return size.default;
  if (Array.isArray(value)) {
    if (value.length > size.max) throw new ValidationError(`${size.arg}: at most ${size.max} ids (got ${value.length})`, size.arg);
    return value.length;
  }
  return pageSize(value as number | null | undefined, size.default, size.max, size.arg);
}

/** Connections' pages: the default and the cap of `first` (API.md). */
export const CLUSTER_PAGE: Required<ListSize> = { arg: 'first', default: 50, max: 500 };
export const WORKER_PAGE: Required<ListSize> = { arg: 'first', default: 100, max: 1000 };
export const COMMAND_PAGE: Required<ListSize> = { arg: 'first', default: 50, max: 500 };
/** A worker's deployed artifacts: an application, and perhaps a patch or two. */
export const WORKER_ARTIFACTS: ListSize = { default: 3 };
/** `nodes(ids:)`: a refetch of what a page shows (50 by default); more is read through the connections. */
export const NODE_IDS: Required<ListSize> = { arg: 'ids', default: 0, max: 100 };

/** An edge whose cursor is made when first asked for: most reads of a list never ask. */
class Edge<T> {
  #cursor: string | undefined;
  readonly node: T;
  readonly #cursorOf: (node: T) => string;
  constructor(node: T, cursorOf: (node: T) => string) {
    this.node = node;
    this.#cursorOf = cursorOf;
  }
  get cursor(): string {
    this.#cursor ??= this.#cursorOf(this.node);
    return this.#cursor;
  }
}

/** A Relay connection of one page: its edges (cursors by `cursorOf`), totalCount and pageInfo. */
export function connectionOf<T>(nodes: readonly T[], cursorOf: (node: T) => string, page: { totalCount: number; hasNextPage: boolean; hasPreviousPage: boolean }) {
  const edges = nodes.map((n) => new Edge(n, cursorOf));
  return {
    edges,
    totalCount: page.totalCount,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      get startCursor() {
        return edges[0]?.cursor ?? null;
      },
      get endCursor() {
        return edges.at(-1)?.cursor ?? null;
      },
    },
  };
}
