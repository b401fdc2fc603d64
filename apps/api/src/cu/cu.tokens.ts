export const API_COMPUTE_UNIT = Symbol('API_COMPUTE_UNIT');
export const CHECKPOINT_STORE = Symbol('CHECKPOINT_STORE');
