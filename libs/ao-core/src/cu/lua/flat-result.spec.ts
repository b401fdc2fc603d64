import { describe, expect, it } from 'vitest';
import { readFlatResult, type LuaStack } from './flat-result.js';

type Value = string | number | boolean | null | { table: true };

/** The values a Lua function returned, as the VM's stack shows them (index 1 first). */
function stack(values: Value[]): [LuaStack, number] {
  const typeOf = (v: Value): number =>
    v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' ? 3 : typeof v === 'string' ? 4 : 5;
  const at = (i: number): Value => {
    if (i < 1 || i > values.length) throw new Error(`read outside the results: ${i}`);
    return values[i - 1];
  };
  return [
    {
      type: (i) => typeOf(at(i)),
      // a number read as text: what lua_tolstring gives for these integers
      string: (i) => String(at(i)),
      text: (i) => (typeof at(i) === 'string' || typeof at(i) === 'number' ? String(at(i)) : undefined),
      number: (i) => at(i) as number,
      boolean: (i) => at(i) as boolean,
    },
    values.length,
  ];
}

const read = (values: Value[], gas = 7) => readFlatResult(...stack(values), gas);
const OUTPUT = { data: 'hi', prompt: 'aos> ', print: true };

describe('the flat result of the aos runtime', () => {
  it('reads messages (optional Anchor and Data), spawns and assignments in the JSON result\'s shape', () => {
    const result = read([
      'hi', 'aos> ', true, null,
      2,
      'target-1', '00000000000000000000000000000001', 'payload', 2, 'Action', 'Ping', 'Reference', '1',
      'target-2', null, null, 0,
      1,
      '00000000000000000000000000000002', 'code', 1, 'Module', 'mod-1',
      1,
      2, 'p1', 'p2', 'message-1',
    ]);
    expect(result).toEqual({
      Output: OUTPUT,
      Messages: [
        { Target: 'target-1', Tags: [{ name: 'Action', value: 'Ping' }, { name: 'Reference', value: '1' }], Data: 'payload', Anchor: '00000000000000000000000000000001' },
        { Target: 'target-2', Tags: [] },
      ],
      Spawns: [{ Tags: [{ name: 'Module', value: 'mod-1' }], Data: 'code', Anchor: '00000000000000000000000000000002' }],
      Assignments: [{ Processes: ['p1', 'p2'], Message: 'message-1' }],
      GasUsed: 7,
    });
    // the key order of the JSON path, so stored results keep their bytes
    expect(Object.keys(result!)).toEqual(['Output', 'Messages', 'Spawns', 'Assignments', 'GasUsed']);
    expect(Object.keys(result!.Messages[0])).toEqual(['Target', 'Tags', 'Data', 'Anchor']);
  });

  it('reads an error with the output printed before it', () => {
    expect(read(['', 'aos> ', false, 'handler \'x\': boom'])).toEqual({
      Output: { data: '', prompt: 'aos> ', print: false },
      Messages: [],
      Spawns: [],
      Assignments: [],
      Error: 'handler \'x\': boom',
      GasUsed: 7,
    });
  });

  it('leaves a lone string (the runtime\'s JSON fallback) to the caller', () => {
    expect(read(['{"Output":""}'])).toBeUndefined();
  });

  it.each([
    ['no values', []],
    ['a number for Output.data', [1, 'aos> ', true, null, 0, 0, 0]],
    ['a string for print', ['', 'aos> ', 'yes', null, 0, 0, 0]],
  ])('%s is not a flat result: the message fails', (_name, values) => {
    expect(read(values as Value[])).toMatchObject({ Error: 'the module returned a result that is not the flat result', GasUsed: 7 });
  });

  it('an Error that is not a string fails the message, keeping the output', () => {
    expect(read(['hi', 'aos> ', true, 3])).toMatchObject({ Output: OUTPUT, Error: 'the module returned an Error that is not a string' });
  });

  it('reads numbers where text is expected as Lua writes them (the runtime leaves the conversion to the host)', () => {
    const result = read(['', 'aos> ', false, null, 1, 7, null, 42, 1, 'Count', 3, 0, 1, 1, 9, 10]);
    expect(result).toMatchObject({
      Messages: [{ Target: '7', Data: '42', Tags: [{ name: 'Count', value: '3' }] }],
      Assignments: [{ Processes: ['9'], Message: '10' }],
    });
    expect(result!.Error).toBeUndefined();
  });

  it.each([
    ['a table for a tag value', [1, 't', null, null, 1, 'Action', { table: true }, 0, 0], 'a tag value must be a string, not a table'],
    ['nil for a tag name', [1, 't', null, null, 1, null, 'v', 0, 0], 'a tag name must be a string, not a nil'],
    ['a boolean for a Target', [1, true, null, null, 0, 0, 0], 'an outbox Target must be a string, not a boolean'],
    ['a table for a Data', [1, 't', null, { table: true }, 0, 0, 0], 'an outbox Data must be a string, not a table'],
    ['a table for a spawn Anchor', [0, 1, { table: true }, null, 0, 0], 'an outbox Anchor must be a string, not a table'],
    ['nil for an assigned message id', [0, 0, 1, 1, 'p', null], 'an assigned message id must be a string, not a nil'],
  ])('%s fails the message as the runtime\'s JSON path does (that error, no output)', (_name, tail, error) => {
    expect(read(['hi', 'aos> ', true, null, ...(tail as Value[])])).toEqual({
      Output: '',
      Messages: [],
      Spawns: [],
      Assignments: [],
      Error: error,
      GasUsed: 7,
    });
  });

  it.each([
    ['a message without Target', [1, null, null, null, 0, 0, 0]],
    ['a count past the values left', [1, 't', null, null, 99, 'a', 'b', 0, 0]],
    ['a fractional count', [1.5, 't', null, null, 0, 0, 0]],
    ['a negative count', [-1, 0, 0]],
    ['values left over', [0, 0, 0, 'extra']],
    ['values missing', [0, 0]],
  ])('%s makes a malformed result: the message fails with the output kept', (_name, tail) => {
    expect(read(['hi', 'aos> ', true, null, ...(tail as Value[])])).toEqual({
      Output: OUTPUT,
      Messages: [],
      Spawns: [],
      Assignments: [],
      Error: 'the module returned malformed Messages, Spawns or Assignments',
      GasUsed: 7,
    });
  });
});
