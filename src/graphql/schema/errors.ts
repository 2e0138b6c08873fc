import { ConflictError, DomainError, NotFoundError, OperationFailedError, TimeoutError, UnreachableError, ValidationError } from '../../domain/errors.js';
import type { UnionRef } from '@pothos/core';
import { builder } from '../builder.js';

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/** Business failures are members of each mutation's result union, all implementing Error. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

export const ValidationErrorRef = builder.objectRef<ValidationError>('ValidationError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof ValidationError,
  fields: (t) => ({ field: t.exposeString('field', { nullable: true, description: 'The input path that is wrong, e.g. "input.strategy.batchSize"' }) }),
});
export const NotFoundErrorRef = builder.objectRef<NotFoundError>('NotFoundError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof NotFoundError,
  fields: (t) => ({ resourceId: t.exposeString('resourceId', { nullable: true }) }),
});
export const ConflictErrorRef = builder.objectRef<ConflictError>('ConflictError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof ConflictError,
  fields: (t) => ({ conflictingId: t.exposeString('conflictingId', { nullable: true, description: 'The global id of what is in the way, when known' }) }),
});
export const UnreachableErrorRef = builder.objectRef<UnreachableError>('UnreachableError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof UnreachableError,
  fields: () => ({}),
});
export const TimeoutErrorRef = builder.objectRef<TimeoutError>('TimeoutError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof TimeoutError,
  fields: (t) => ({ timeoutMs: t.exposeInt('timeoutMs') }),
});
export const OperationFailedErrorRef = builder.objectRef<OperationFailedError>('OperationFailedError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof OperationFailedError,
  fields: (t) => ({ result: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.result }) }),
});

/** Runs a mutation's use case; expected failures become values of its result union. */
export async function asResult<T>(fn: () => Promise<T>): Promise<T | DomainError> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
}

/** A payload object marked with its GraphQL type, so result unions can resolve it. */
export const payload = <N extends string, T extends object>(typename: N, value: T) => Object.assign(value, { __typename: typename });

/** Declares a result union: the payload type plus error types. */
export function resultUnion(name: string, payloadRef: any, errors: any[], description?: string): UnionRef<BuilderTypes, unknown, unknown> {
  return builder.unionType(name, {
    description,
    types: [payloadRef, ...errors],
    resolveType: (v: any) => (v instanceof DomainError ? v.name : v.__typename),
  });
}
