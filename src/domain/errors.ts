/** Expected failures, as values with stable machine-readable codes (API.md's result unions). */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION';
  constructor(
    message: string,
    /** The input path that is wrong, e.g. "input.strategy.batchSize". */
    readonly field: string | null = null,
  ) {
    super(message);
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(
    message: string,
    readonly resourceId: string | null = null,
  ) {
    super(message);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  /** `conflictingId`: the database id of what is in the way (the API answers its global id, of `conflictingType`). */
  constructor(
    message: string,
    readonly conflictingId: string | null = null,
    readonly conflictingType: 'Command' | 'Cluster' = 'Command',
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

export class UnreachableError extends DomainError {
  readonly code = 'UNREACHABLE';
  constructor(message: string) {
    super(message);
    this.name = 'UnreachableError';
  }
}

export class TimeoutError extends DomainError {
  readonly code = 'TIMEOUT';
  constructor(
    message: string,
    readonly timeoutMs: number,
  ) {
    super(message);
    this.name = 'TimeoutError';
  }
}

export class OperationFailedError extends DomainError {
  readonly code = 'OPERATION_FAILED';
  constructor(
    message: string,
    readonly result: unknown = null,
  ) {
    super(message);
    this.name = 'OperationFailedError';
  }
}

/** A position older than the event log's retention (what followed it was pruned), or not of this log: the client lists again, then watches. */
export class EventsExpiredError extends DomainError {
  readonly code = 'EVENTS_EXPIRED';
  constructor(message: string) {
    super(message);
    this.name = 'EventsExpiredError';
  }
}

/**
 * The instance has more of this work in hand than it takes on: nothing was done, retry after
 * `retryAfterMs` (with jitter). Not a business outcome: a GraphQL error with
 * `extensions.code = "OVERLOADED"` and `retryAfterMs`, HTTP 503 with `Retry-After` (API.md).
 */
export class OverloadedError extends Error {
  readonly code = 'OVERLOADED';
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'OverloadedError';
  }
}
