/** What a client is told of an error: expected failures keep their message and a stable code, anything else is masked and logged. */
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { isConnectionError } from '../db/client.js';
import { DomainError, OverloadedError } from '../domain/errors.js';
import type { Logger } from '../logger.js';
import { boundedError, boundedMessage } from './limits.js';

/** What a client is told when its request lost its database connection (its transaction was rolled back). */
export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';
export const DATABASE_UNAVAILABLE_MESSAGE = 'the database connection was lost: nothing of this request was done (its transaction was rolled back); retry it';

/** Is it a GraphQLError? Ours or the executor's: under a bundler (vitest) the two may come from distinct copies of graphql. */
const isGqlError = (e: unknown): e is GraphQLError => e instanceof GraphQLError || Object.prototype.toString.call(e) === '[object GraphQLError]';

/**
 * What a client sees of an error: expected failures keep their message and get a stable
 * extensions.code (BAD_USER_INPUT for anything wrong with the input); anything else is
 * "Unexpected error." with code INTERNAL_SERVER_ERROR, and its cause is logged. The field path
 * and locations are kept either way.
 */
export function maskError(error: unknown, message: string, logger: Logger): GraphQLError {
  const located = isGqlError(error) ? error : null;
  const original = located?.originalError;
  // The replacement is made with the class of the error given, so the executor recognises it as its own.
  const Err = (located?.constructor ?? GraphQLError) as typeof GraphQLError;
  const as = (msg: string, code: unknown, extra: Record<string, unknown> = {}) =>
    new Err(msg, { nodes: located?.nodes, source: located?.source, positions: located?.positions, path: located?.path, extensions: { ...extra, code } });
  if (original instanceof DomainError) return as(original.message, original.code === 'VALIDATION' ? 'BAD_USER_INPUT' : original.code);
  // Over capacity (services/admission.ts): HTTP 503 with Retry-After (yoga reads extensions.http and leaves it out of the answer).
  if (original instanceof OverloadedError) {
    const http = { status: 503, headers: { 'retry-after': String(Math.ceil(original.retryAfterMs / 1000)) } };
    return as(original.message, original.code, { retryAfterMs: original.retryAfterMs, http });
  }
  if (isConnectionError(original ?? error)) {
    logger.warn('request failed: database connection lost', { err: original ?? error, path: located?.path?.join('.') });
    return as(DATABASE_UNAVAILABLE_MESSAGE, DATABASE_UNAVAILABLE);
  }
  // A malformed global id, or another input Pothos refused.
  if (original instanceof PothosValidationError) return as(original.message, 'BAD_USER_INPUT');
  if (located && !original) return boundedError(located); // GraphQL's own: syntax, validation, and yoga's HTTP errors
  if (located && isGqlError(original)) {
    const code = original.extensions?.code ?? located.extensions?.code;
    if (code) return as(located.path ? original.message : located.message, code, { ...original.extensions });
    // Without a field path the request failed before execution: a variable that does not coerce.
    if (!located.path) return as(boundedMessage(located.message), 'BAD_USER_INPUT');
  }
  logger.error('unexpected error', { err: original ?? error, path: located?.path?.join('.') });
  return as(message, 'INTERNAL_SERVER_ERROR');
}
