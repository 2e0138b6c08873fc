/**
 * The Error interface, its types, and the one helper that builds the API's result unions
 * (`resultUnion`, `asResult`, `payload`). Why not Pothos' errors plugin: it makes one union per
 * field (`union: { name }`), while the contract shares a union between fields (CommandResult is
 * the answer of six mutations), and it wraps a success in a `…Success` object unless each field
 * sets `directResult`; keeping the contract's names would mean a union per field under the same
 * name, which a schema cannot hold.
 */
import { type ConflictError, DomainError, type NotFoundError, type OperationFailedError, type TimeoutError, type UnreachableError, type ValidationError } from '../../domain/errors.js';
import type { UnionRef } from '@pothos/core';
import { builder } from '../builder.js';
import { toGlobalId } from '../ids.js';

type BuilderTypes = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;

/**
 * What a result union carries for a DomainError: its fields, as a plain object. (graphql-js
 * treats an Error instance returned by a resolver as thrown, so the error itself cannot be the value.)
 */
export type ErrorValue<E extends DomainError = DomainError> = { [K in Exclude<keyof E, 'name' | 'stack' | 'cause'>]: E[K] } & { __typename: string };

export function errorValue<E extends DomainError>(e: E): ErrorValue<E> {
  return { ...e, message: e.message, code: e.code, __typename: e.name } as unknown as ErrorValue<E>;
}

const isError = (typename: string) => (v: unknown) => (v as { __typename?: unknown } | null)?.__typename === typename;

/** Business failures are members of each mutation's result union, all implementing Error. */
export const ErrorInterface = builder.interfaceRef<ErrorValue>('Error').implement({
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code'),
  }),
});

export const ValidationErrorRef = builder.objectRef<ErrorValue<ValidationError>>('ValidationError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: isError('ValidationError'),
  fields: (t) => ({ field: t.exposeString('field', { nullable: true, description: 'The input path that is wrong, e.g. "input.strategy.batchSize"' }) }),
});
export const NotFoundErrorRef = builder.objectRef<ErrorValue<NotFoundError>>('NotFoundError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: isError('NotFoundError'),
  fields: (t) => ({ resourceId: t.exposeString('resourceId', { nullable: true }) }),
});
export const ConflictErrorRef = builder.objectRef<ErrorValue<ConflictError>>('ConflictError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: isError('ConflictError'),
  fields: (t) => ({
    conflictingId: t.string({
      nullable: true,
      description: 'The global id of what is in the way, when known',
      resolve: (e) => (e.conflictingId === null ? null : toGlobalId(e.conflictingType, e.conflictingId)),
    }),
  }),
});
export const UnreachableErrorRef = builder.objectRef<ErrorValue<UnreachableError>>('UnreachableError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: isError('UnreachableError'),
  fields: () => ({}),
});
export const TimeoutErrorRef = builder.objectRef<ErrorValue<TimeoutError>>('TimeoutError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: isError('TimeoutError'),
  fields: (t) => ({ timeoutMs: t.exposeInt('timeoutMs') }),
});
export const OperationFailedErrorRef = builder.objectRef<ErrorValue<OperationFailedError>>('OperationFailedError').implement({
  interfaces: [ErrorInterface],
  isTypeOf: isError('OperationFailedError'),
  fields: (t) => ({ result: t.field({ type: 'JSON', nullable: true, resolve: (e) => e.result }) }),
});

/** Runs a mutation's use case; expected failures become values of its result union. */
export async function asResult<T>(fn: () => Promise<T>): Promise<T | ErrorValue> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof DomainError) return errorValue(e);
    throw e;
  }
}

/** A payload object marked with its GraphQL type, so result unions can resolve it. */
export const payload = <N extends string, T extends object>(typename: N, value: T) => Object.assign(value, { __typename: typename });

/** Declares a result union: the payload type plus error types. Every member is resolved by its __typename. */
export function resultUnion(name: string, payloadRef: any, errors: any[], description?: string): UnionRef<BuilderTypes, unknown, unknown> {
  return builder.unionType(name, {
    description,
    types: [payloadRef, ...errors],
    resolveType: (v: any) => (v instanceof DomainError ? v.name : v.__typename),
  });
}
