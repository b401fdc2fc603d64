export const COMPUTE_UNIT = Symbol('COMPUTE_UNIT');
export const PROCESS_LOCKS = Symbol('PROCESS_LOCKS');
export const SCHEDULER = Symbol('SCHEDULER');
export const MESSENGER = Symbol('MESSENGER');
export const SCHEDULER_STORE = Symbol('SCHEDULER_STORE');
