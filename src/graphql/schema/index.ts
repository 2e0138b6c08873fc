/** Every type file, imported for its side effect of registering on the builder. */
import './scalars.js';
import './enums.js';
import './errors.js';
import './stats.js';
import './cluster.js';
import './manager.js';
import './worker.js';
import './system.js';
import './viewer.js';
import './api-token.js';
import './manager-reports.js';
import './topology-events.js';
import './manager-task.js';
import './command.js';
import './operation.js';
import './audit-entry.js';
import './event-log.js';
