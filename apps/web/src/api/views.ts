/**
 * Shapes of the API's answers that its OpenAPI document does not describe yet (no response
 * schemas on these routes). Each goes as soon as the document has its schema: the client types
 * then come from schema.d.ts.
 */

export interface Tag {
  name: string;
  value: string;
}

export interface HealthCheck {
  status: 'up' | 'down';
  reason?: string;
  latencyMs?: number;
}

export interface HealthReport {
  status: 'ok' | 'error';
  checks: Record<string, HealthCheck>;
}

/** A data item in the SU's JSON. */
export interface SuItem {
  id: string;
  owner: { address: string; key: string };
  tags: Tag[];
  signature: string;
  anchor: string | null;
  target: string | null;
  data: string;
  data_encoding: 'utf-8' | 'base64url';
}

export interface SuProcess {
  process_id: string;
  block: string;
  owner: { address: string; key: string };
  tags: Tag[];
  timestamp: number;
  data: string;
  data_encoding: 'utf-8' | 'base64url';
  assignment: SuItem;
  latest: { nonce: number; timestamp: number; hash_chain: string } | null;
  uploads: { pending: number; uploaded: number; confirmed: number; failed: number; last_confirmed_nonce: number | null };
}

export interface SuLogEntry {
  message: SuItem;
  assignment: SuItem;
}

export interface SuLogPage {
  page_info: { has_next_page: boolean };
  edges: { node: SuLogEntry; cursor: string }[];
}

export interface OutboxMessage {
  Target?: string;
  Data?: string;
  Anchor?: string;
  Tags?: Tag[];
}

export interface EvalResult {
  Output: unknown;
  Messages: OutboxMessage[];
  Spawns: OutboxMessage[];
  Assignments: { Processes: string[]; Message: string }[];
  Error?: string;
  GasUsed: number;
}

export type ResultAnswer = EvalResult | { status: 'pending'; nonce: number };

export interface VerifyAnswer {
  ok: boolean;
  processId: string;
  messages: number;
  lastNonce: number;
  stateHash: string | null;
  resultsHash: string | null;
  failure?: { nonce: number; code: string; reason: string };
  compared?: number;
  checkpoint?: { used?: { id: string; nonce: number; signer: string; stateHash: string }; statement?: string };
}

export interface FailedJob {
  queue: string;
  id: string;
  name: string;
  data: unknown;
  reason: string;
  attempts: number;
  failedAt: number | null;
}

export interface CronRegistration {
  processId: string;
  interval: string;
  unit: 'ms' | 'blocks';
  period: number;
  origin: number;
  policy: string;
  status: 'active' | 'paused';
  lastTick: number | null;
  nextTick: number;
  tickTags: Tag[];
}
