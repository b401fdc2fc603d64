import type { EvalResult, OutboxAssignment, OutboxMessage, OutboxSpawn, Tag } from '../../types.js';
import { errorResult } from '../eval-result.js';

/**
 * The values a Lua function returned, on the VM's stack (1-based, as in the C API), read while
 * they are there. Reading never runs Lua code; reading a number as text converts it in place,
 * which allocates in the VM (the reader lifts the memory cap meanwhile: the text is small).
 */
export interface LuaStack {
  /** The Lua type tag (lua.h: 0 nil, 1 boolean, 3 number, 4 string, ...). */
  type(index: number): number;
  /** A string value, or a number as Lua's `tostring` writes it (the caller checked the type). */
  string(index: number): string;
  /** A string, or a number as `tostring` writes it; undefined for any other type (one look instead of two). */
  text(index: number): string | undefined;
  number(index: number): number;
  boolean(index: number): boolean;
}

const NIL = 0;
const BOOLEAN = 1;
const NUMBER = 3;
const STRING = 4;
const MALFORMED = 'the module returned malformed Messages, Spawns or Assignments';

/** Thrown inside the reader for a value of the wrong type or a count that does not fit. */
class Malformed extends Error {}

/** Thrown inside the reader for an outbox value that is not text: the message fails with this error. */
class NotText extends Error {}

// Lua's type() names, by type tag.
const TYPE_NAMES = ['nil', 'boolean', 'userdata', 'number', 'string', 'table', 'function', 'userdata', 'thread'];

/**
 * Reads the aos runtime's flat result (lua/README.md "Host protocol": `step`), `count` values:
 *
 *   Output.data, prompt, print (boolean), Error (string, or nil)          then, when Error is nil:
 *   #Messages,    per message:    Target, Anchor|nil, Data|nil, #Tags, (name, value) per tag
 *   #Spawns,      per spawn:      Anchor|nil, Data|nil, #Tags, (name, value) per tag
 *   #Assignments, per assignment: #Processes, process ids..., Message
 *
 * into the EvalResult the JSON result would give (same fields, same key order). Target, Anchor,
 * Data, tag names and values, assigned process ids and message ids are text: a string, or a number
 * (read as Lua's `tostring` writes it); any other value fails the message with the error the
 * runtime's JSON path gives ("a tag value must be a string, not a table"), and no output. A lone
 * string is that JSON text (the runtime's fallback for results too long for the stack): undefined
 * then, the caller parses it. Anything else is a malformed result: the message failed.
 */
export function readFlatResult(stack: LuaStack, count: number, gasUsed: number): EvalResult | undefined {
  if (count === 1 && stack.type(1) === STRING) return undefined;
  if (count < 4 || stack.type(1) !== STRING || stack.type(2) !== STRING || stack.type(3) !== BOOLEAN) {
    return errorResult('the module returned a result that is not the flat result', gasUsed);
  }
  const output = { data: stack.string(1), prompt: stack.string(2), print: stack.boolean(3) };
  const errorType = stack.type(4);
  if (errorType === STRING) return errorResult(stack.string(4), gasUsed, output);
  if (errorType !== NIL) return errorResult('the module returned an Error that is not a string', gasUsed, output);
  const reader = new FlatReader(stack, count, 5);
  try {
    const messages: OutboxMessage[] = [];
    for (let n = reader.count(); n > 0; n--) {
      const target = reader.text('an outbox Target');
      if (target === undefined) throw new Malformed();
      const anchor = reader.text('an outbox Anchor');
      const data = reader.text('an outbox Data');
      const message: OutboxMessage = { Target: target, Tags: reader.tags() };
      if (data !== undefined) message.Data = data;
      if (anchor !== undefined) message.Anchor = anchor;
      messages.push(message);
    }
    const spawns: OutboxSpawn[] = [];
    for (let n = reader.count(); n > 0; n--) {
      const anchor = reader.text('an outbox Anchor');
      const data = reader.text('an outbox Data');
      const spawn: OutboxSpawn = { Tags: reader.tags() };
      if (data !== undefined) spawn.Data = data;
      if (anchor !== undefined) spawn.Anchor = anchor;
      spawns.push(spawn);
    }
    const assignments: OutboxAssignment[] = [];
    for (let n = reader.count(); n > 0; n--) {
      const processes: string[] = [];
      for (let p = reader.count(); p > 0; p--) processes.push(reader.required('an assigned process id'));
      assignments.push({ Processes: processes, Message: reader.required('an assigned message id') });
    }
    if (!reader.done()) throw new Malformed();
    return { Output: output, Messages: messages, Spawns: spawns, Assignments: assignments, GasUsed: gasUsed };
  } catch (error) {
    if (error instanceof Malformed) return errorResult(MALFORMED, gasUsed, output);
    if (error instanceof NotText) return errorResult(error.message, gasUsed);
    throw error;
  }
}

class FlatReader {
  constructor(
    private readonly stack: LuaStack,
    private readonly end: number,
    private at: number,
  ) {}

  done(): boolean {
    return this.at === this.end + 1;
  }

  /** A count: a non-negative integer no larger than the values left. */
  count(): number {
    const i = this.next();
    if (this.stack.type(i) !== NUMBER) throw new Malformed();
    const n = this.stack.number(i);
    if (!Number.isInteger(n) || n < 0 || n > this.end - i) throw new Malformed();
    return n;
  }

  /** Text (see readFlatResult), or undefined for nil. */
  text(what: string): string | undefined {
    const i = this.next();
    const text = this.stack.text(i);
    if (text !== undefined) return text;
    const type = this.stack.type(i);
    if (type === NIL) return undefined;
    throw new NotText(`${what} must be a string, not a ${TYPE_NAMES[type] ?? 'userdata'}`);
  }

  /** Text that must be there: nil fails the message like any other value that is not text. */
  required(what: string): string {
    const text = this.text(what);
    if (text === undefined) throw new NotText(`${what} must be a string, not a nil`);
    return text;
  }

  tags(): Tag[] {
    const tags: Tag[] = [];
    for (let n = this.count(); n > 0; n--) {
      const name = this.required('a tag name');
      tags.push({ name, value: this.required('a tag value') });
    }
    return tags;
  }

  private next(): number {
    if (this.at > this.end) throw new Malformed();
    return this.at++;
  }
}
