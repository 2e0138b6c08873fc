import type { Command } from '../../domain/types.js';
import { builder } from '../builder.js';
import { clusterIdOf, CommandRef } from './command.js';
import { asResult, NotFoundErrorRef, OperationFailedErrorRef, payload, resultUnion, TimeoutErrorRef, UnreachableErrorRef, ValidationErrorRef } from './errors.js';

const RunManagerOperationInput = builder.inputType('RunManagerOperationInput', {
  fields: (t) => ({
    clusterId: t.id({ required: true }),
    operation: t.string({ required: true, description: "one of the manager's advertised operations" }),
    arguments: t.field({ type: 'JSON' }),
    timeoutMs: t.int({ description: 'how long to wait for the manager’s answer; default 10000' }),
  }),
});
const OperationPayload = builder.objectRef<{ command: Command; result: unknown }>('OperationPayload').implement({
  fields: (t) => ({
    command: t.field({ type: CommandRef, resolve: (p) => p.command }),
    result: t.field({ type: 'JSON', nullable: true, resolve: (p) => p.result }),
  }),
});
const OperationResult = resultUnion('OperationResult', OperationPayload, [
  ValidationErrorRef,
  NotFoundErrorRef,
  UnreachableErrorRef,
  TimeoutErrorRef,
  OperationFailedErrorRef,
]);

builder.mutationField('runManagerOperation', (t) =>
  t.field({
    type: OperationResult,
    authScopes: { operator: true },
    description: "relays a cluster's own operation (e.g. ESB proxy management) to its manager and returns the answer",
    args: { input: t.arg({ type: RunManagerOperationInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      asResult(async () =>
        payload(
          'OperationPayload',
          await ctx.services.operations.runOperation(ctx.principal!, {
            clusterId: clusterIdOf(input.clusterId),
            operation: input.operation,
            arguments: input.arguments,
            timeoutMs: input.timeoutMs,
          }),
        ),
      ),
  }),
);
