export const API_COMPUTE_UNIT = Symbol('API_COMPUTE_UNIT');
