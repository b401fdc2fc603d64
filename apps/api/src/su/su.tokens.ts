export const SCHEDULER_STORE = Symbol('SCHEDULER_STORE');
/** The ItemVerifier the SU and MU ingress verify posted items with (a worker-thread pool by default). */
export const ITEM_VERIFIER = Symbol('ITEM_VERIFIER');
