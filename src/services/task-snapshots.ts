/**
 * The task a `task` event announces, as its transaction wrote it, kept beside the event for this
 * instance's managerTasks streams: a new task is handed to its manager without reading it back
 * (one read per task on the path from a batch's decision to its restarts). Only the local
 * publication carries it (a WeakMap on the payload object, which the bus hands to its handlers as
 * is); an event bridged from another instance has none, and the stream reads the task.
 *
 * The task may carry its command too, as the same transaction wrote it: the protocol's selection
 * (`command { id kind strategy { … } }`, docs/manager-protocol.md) is then answered without a
 * read, which on PGlite queued behind the batch's other statements (bench/rollout.ts's restart:
 * one round trip of each batch's turnaround).
 */
import type { EventMap } from '../events/bus.js';
import type { Command, ManagerTask } from '../domain/types.js';

const snapshots = new WeakMap<EventMap['task'], ManagerTask>();
const commands = new WeakMap<ManagerTask, Command>();

/** A `task` event's payload carrying `task` as written (its state as of the event), and its command as written with it. */
export function taskEvent(task: ManagerTask, command?: Command): EventMap['task'] {
  const payload: EventMap['task'] = { taskId: task.id, clusterId: task.clusterId, commandId: task.commandId, state: task.state };
  snapshots.set(payload, task);
  if (command) commands.set(task, command);
  return payload;
}

/** The command a task snapshot was published with (as its transaction left it), or undefined (read it). */
export const taskCommand = (task: ManagerTask): Command | undefined => commands.get(task);

/** The task a local `task` event was published with, or undefined (bridged, or published without it). */
export const taskSnapshot = (payload: EventMap['task']): ManagerTask | undefined => snapshots.get(payload);
