export const SCHEDULER_STORE = Symbol('SCHEDULER_STORE');
