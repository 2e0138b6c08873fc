/**
 * The task a `task` event announces, as its transaction wrote it, kept beside the event for this
 * instance's managerTasks streams: a new task is handed to its manager without reading it back
 * (one read per task on the path from a batch's decision to its restarts). Only the local
 * publication carries it (a WeakMap on the payload object, which the bus hands to its handlers as
 * is); an event bridged from another instance has none, and the stream reads the task.
 */
import type { EventMap } from '../events/bus.js';
import type { ManagerTask } from '../domain/types.js';

const snapshots = new WeakMap<EventMap['task'], ManagerTask>();

/** A `task` event's payload carrying `task` as written (its state as of the event). */
export function taskEvent(task: ManagerTask): EventMap['task'] {
  const payload: EventMap['task'] = { taskId: task.id, clusterId: task.clusterId, commandId: task.commandId, state: task.state };
  snapshots.set(payload, task);
  return payload;
}

/** The task a local `task` event was published with, or undefined (bridged, or published without it). */
export const taskSnapshot = (payload: EventMap['task']): ManagerTask | undefined => snapshots.get(payload);
