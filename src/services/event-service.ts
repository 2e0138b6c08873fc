/**
 * What GraphQL subscriptions watch: the event bus's topics, as async iterators. Resolvers reach
 * the bus through this service only, never through the services' dependencies.
 */
import type { EventMap, Topic } from '../events/bus.js';
import type { ServiceDeps } from './deps.js';

export class EventService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Events of a topic as they are published (here or, bridged, on another instance), filtered and mapped. */
  watch<K extends Topic, T = EventMap[K]>(topic: K, opts: { filter?: (p: EventMap[K]) => boolean; map?: (p: EventMap[K]) => T } = {}): AsyncIterableIterator<T> {
    return this.deps.bus.subscribe<K, T>(topic, opts);
  }
}
