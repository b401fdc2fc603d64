import type { ApiResponseOptions } from '@nestjs/swagger';

type SchemaObject = NonNullable<Extract<ApiResponseOptions, { schema?: unknown }>['schema']> & { properties?: Record<string, SchemaObject> };

// Response schemas of the ao unit routes (/su, /cu, /mu) and /health, /info: those routes answer
// the reference units' JSON, so their shapes are written here rather than as DTO classes.

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const obj = (properties: Record<string, SchemaObject>, required = Object.keys(properties), extra?: Partial<SchemaObject>): SchemaObject => ({ type: 'object', required, properties, ...extra });

const TAG = obj({ name: str, value: str });
const TAGS: SchemaObject = { type: 'array', items: TAG };

/** A data item in the reference SU's JSON (`data` is UTF-8 text, or base64url as `data_encoding` says). */
export const SU_ITEM = obj({
  id: str,
  owner: obj({ address: str, key: { type: 'string', description: 'Owner public key, base64url' } }),
  tags: TAGS,
  signature: str,
  anchor: { type: 'string', nullable: true },
  target: { type: 'string', nullable: true },
  data: str,
  data_encoding: { type: 'string', enum: ['utf-8', 'base64url'] },
});

export const SU_NODE = obj({ message: SU_ITEM, assignment: SU_ITEM });

export const SU_LOG_PAGE = obj({
  page_info: obj({ has_next_page: { type: 'boolean' } }),
  edges: { type: 'array', items: obj({ node: SU_NODE, cursor: { type: 'string', description: 'Nonce or timestamp, as the query paged by' } }) },
});

export const SU_IDENTITY = obj({ timestamp: { type: 'integer', description: 'ms' }, address: { type: 'string', description: 'The scheduler wallet address' } });
export const SU_TIMESTAMP = obj({ timestamp: { type: 'integer', description: 'ms' }, block_height: int });
export const SU_SCHEDULED: SchemaObject = {
  description: 'A scheduled item: `{timestamp, id, nonce, assignment}`; an assignment (`?process-id=&assign=`): `{timestamp, id, message, nonce}`',
  ...obj({ timestamp: int, id: str, nonce: int, assignment: { type: 'string', description: 'Assignment id (scheduled item)' }, message: { type: 'string', description: 'The assigned message (assignment)' } }, ['timestamp', 'id', 'nonce']),
};
export const SU_PROCESS = obj(
  {
    process_id: str,
    block: { type: 'string', description: 'Block height at scheduling' },
    owner: SU_ITEM.properties!.owner as SchemaObject,
    tags: TAGS,
    timestamp: int,
    data: str,
    data_encoding: { type: 'string', enum: ['utf-8', 'base64url'] },
    anchor: { type: 'string', nullable: true },
    signature: str,
    target: { type: 'string', nullable: true },
    assignment: SU_ITEM,
    latest: { ...obj({ nonce: int, timestamp: int, hash_chain: str }), nullable: true },
    uploads: obj({ pending: int, uploaded: int, confirmed: int, failed: int, last_confirmed_nonce: { type: 'integer', nullable: true } }),
  },
);

const OUTBOX_MESSAGE: SchemaObject = { type: 'object', additionalProperties: true, properties: { Target: str, Anchor: str, Data: str, Tags: TAGS } };
/** An evaluation result as the reference CU answers it. */
export const CU_RESULT = obj(
  {
    Output: { description: 'What the handlers printed / returned', nullable: true },
    Messages: { type: 'array', items: OUTBOX_MESSAGE },
    Spawns: { type: 'array', items: OUTBOX_MESSAGE },
    Assignments: { type: 'array', items: { type: 'object', additionalProperties: true } },
    Error: { type: 'string', description: 'Present when the message failed' },
    GasUsed: int,
  },
  ['Messages', 'Spawns', 'Assignments'],
  { additionalProperties: true },
);
export const CU_PENDING = obj({ status: { type: 'string', enum: ['pending'] }, nonce: int });
export const CU_RESULTS_PAGE = obj({
  pageInfo: obj({ hasNextPage: { type: 'boolean' } }),
  edges: { type: 'array', items: obj({ cursor: { type: 'string', description: 'The nonce' }, node: CU_RESULT }) },
});
export const CU_IDENTITY = obj({ address: str, timestamp: { type: 'integer', description: 'ms' } });
export const CU_STATE = obj({ processId: str, nonce: int, stateHash: { type: 'string', description: 'SHA-256, hex' }, algorithm: str });
export const CU_CHECKPOINTS: SchemaObject = {
  type: 'array',
  items: obj({ nonce: int, stateHash: str, sha256: str, size: int, gatewayId: { type: 'string', nullable: true }, timestamp: int }),
};
export const CU_VERIFY = obj(
  {
    ok: { type: 'boolean' },
    processId: str,
    messages: { type: 'integer', description: 'Log entries checked, the Process item included' },
    lastNonce: int,
    stateHash: { type: 'string', nullable: true },
    resultsHash: { type: 'string', nullable: true },
    failure: obj({ nonce: int, code: str, reason: str }),
    compared: { type: 'integer', description: 'Results compared with this CU (compare=true)' },
    checkpoint: { type: 'object', additionalProperties: true, description: '`{used?: {id, nonce, signer, stateHash}, rejected, untrusted, statement}` (fromCheckpoint)' },
  },
  ['ok', 'processId', 'messages', 'lastNonce', 'stateHash', 'resultsHash'],
);

const CHECK = obj({ status: { type: 'string', enum: ['up', 'down'] }, reason: str, latencyMs: int }, ['status']);
export const HEALTH = obj({
  status: { type: 'string', enum: ['ok', 'error'] },
  checks: obj({ postgres: CHECK, redis: CHECK, arweave: CHECK, worker: CHECK, cron: CHECK }),
});
export const INFO = obj(
  {
    name: str,
    version: str,
    units: obj({ mu: str, cu: str, su: str }),
    gateway: str,
    scheduler: obj({ address: str, keyType: str, location: { description: 'The Scheduler-Location record, once published' } }, ['address', 'keyType']),
    modules: { type: 'object', additionalProperties: { type: 'string' }, description: 'Published module ids by name' },
  },
);
export const METRICS: SchemaObject = { type: 'string', description: 'Prometheus text exposition format' };
