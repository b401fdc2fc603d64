export const COMPUTE_UNIT = Symbol('COMPUTE_UNIT');
export const PROCESS_LOCKS = Symbol('PROCESS_LOCKS');
export const SCHEDULER = Symbol('SCHEDULER');
export const MESSENGER = Symbol('MESSENGER');
export const SCHEDULER_STORE = Symbol('SCHEDULER_STORE');
/** This worker process's instance id (its heartbeat's, and the name of its own evaluate queue). */
export const WORKER_INSTANCE = Symbol('WORKER_INSTANCE');
