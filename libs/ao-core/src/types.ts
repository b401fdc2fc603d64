/** An ANS-104 tag. Order matters: it is part of the signed bytes. */
export interface Tag {
  name: string;
  value: string;
}

/**
 * A data item in the JSON shape of the reference SU (`GET /{processId}` edges):
 * `data` is base64url of the raw bytes so binary data round-trips (the reference mangles it).
 */
export interface DataItemJson {
  id: string;
  owner: { address: string; key: string };
  tags: Tag[];
  signature: string;
  anchor: string | null;
  target: string | null;
  data: string;
}

/** One outbox message of an evaluation result, in ao's result shape. */
export interface OutboxMessage {
  Target: string;
  Data?: string;
  Anchor?: string;
  Tags: Tag[];
}

/** One spawn requested by an evaluation result. */
export interface OutboxSpawn {
  Target?: string;
  Data?: string;
  Anchor?: string;
  Tags: Tag[];
}

/** One assignment requested by an evaluation result. */
export interface OutboxAssignment {
  Processes: string[];
  Message: string;
}

/** The result of evaluating one message, as ao's CU returns it. */
export interface EvalResult {
  Output: unknown;
  Messages: OutboxMessage[];
  Spawns: OutboxSpawn[];
  Assignments: OutboxAssignment[];
  Error?: string;
  GasUsed: number;
}
