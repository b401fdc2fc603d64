import type { EvalResult, OutboxAssignment, OutboxMessage, OutboxSpawn, Tag } from '../types.js';

/** The result of a message that failed outside the module's own error handling. */
export function errorResult(error: string, gasUsed: number, output: unknown = ''): EvalResult {
  return { Output: output, Messages: [], Spawns: [], Assignments: [], Error: error, GasUsed: gasUsed };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function parseTags(v: unknown): Tag[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  const tags: Tag[] = [];
  for (const t of v) {
    if (!isRecord(t) || typeof t.name !== 'string' || typeof t.value !== 'string') return undefined;
    tags.push({ name: t.name, value: t.value });
  }
  return tags;
}

function parseList<T>(v: unknown, item: (x: Record<string, unknown>) => T | undefined): T[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return undefined;
  const out: T[] = [];
  for (const x of v) {
    const parsed = isRecord(x) ? item(x) : undefined;
    if (parsed === undefined) return undefined;
    out.push(parsed);
  }
  return out;
}

function parseMessage(x: Record<string, unknown>): OutboxMessage | undefined {
  const tags = parseTags(x.Tags);
  if (typeof x.Target !== 'string' || !tags) return undefined;
  const msg: OutboxMessage = { Target: x.Target, Tags: tags };
  const data = optionalString(x.Data);
  const anchor = optionalString(x.Anchor);
  if (data !== undefined) msg.Data = data;
  if (anchor !== undefined) msg.Anchor = anchor;
  return msg;
}

function parseSpawn(x: Record<string, unknown>): OutboxSpawn | undefined {
  const tags = parseTags(x.Tags);
  if (!tags) return undefined;
  const spawn: OutboxSpawn = { Tags: tags };
  const target = optionalString(x.Target);
  const data = optionalString(x.Data);
  const anchor = optionalString(x.Anchor);
  if (target !== undefined) spawn.Target = target;
  if (data !== undefined) spawn.Data = data;
  if (anchor !== undefined) spawn.Anchor = anchor;
  return spawn;
}

function parseAssignment(x: Record<string, unknown>): OutboxAssignment | undefined {
  const processes = x.Processes;
  if (typeof x.Message !== 'string' || !Array.isArray(processes) || !processes.every((p) => typeof p === 'string')) {
    return undefined;
  }
  return { Processes: processes as string[], Message: x.Message };
}

/**
 * Reads a module's JSON-1 output (`{Output, Messages, Spawns, Assignments, Error?}`) into an
 * EvalResult. Output that does not have this shape becomes an error result: the message failed.
 */
export function parseEvalResult(text: string, gasUsed: number): EvalResult {
  let raw: Json;
  try {
    raw = JSON.parse(text) as Json;
  } catch {
    return errorResult('the module returned a result that is not JSON', gasUsed);
  }
  if (!isRecord(raw)) return errorResult('the module returned a result that is not an object', gasUsed);
  const messages = parseList(raw.Messages, parseMessage);
  const spawns = parseList(raw.Spawns, parseSpawn);
  const assignments = parseList(raw.Assignments, parseAssignment);
  const output = raw.Output ?? '';
  if (raw.Error !== undefined && raw.Error !== null) {
    const error = typeof raw.Error === 'string' ? raw.Error : JSON.stringify(raw.Error);
    return errorResult(error, gasUsed, output);
  }
  if (!messages || !spawns || !assignments) {
    return errorResult('the module returned malformed Messages, Spawns or Assignments', gasUsed, output);
  }
  return { Output: output, Messages: messages, Spawns: spawns, Assignments: assignments, GasUsed: gasUsed };
}
