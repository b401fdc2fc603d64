import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootAos, evalOk, type BootedProcess } from './testing.js';

/** Round-trips JSON text through the runtime's json.decode then json.encode. */
describe('json (the runtime JSON codec)', () => {
  let booted: BootedProcess;
  beforeAll(async () => {
    booted = await bootAos();
  });
  afterAll(() => booted.process.close());

  const luaLong = (s: string) => `[==[${s}]==]`;
  const roundTrip = (text: string) => evalOk(booted, `return json.encode(json.decode(${luaLong(text)}))`);

  it('decodes and re-encodes JSON values, with sorted object keys', async () => {
    const value = { b: [1, 2.5, -3, 1e21, true, false, 'x'], a: { nested: { deep: [[], {}] } }, 'key with space': 'v' };
    const out = await roundTrip(JSON.stringify(value));
    expect(JSON.parse(out)).toEqual({ ...value, a: { nested: { deep: [[], []] } } });
    expect(out.indexOf('"a"')).toBeLessThan(out.indexOf('"b"'));
  });

  it('handles whitespace, escapes, unicode escapes and surrogate pairs', async () => {
    const text = ' { "s" : "quote \\" backslash \\\\ slash \\/ nl \\n tab \\t \\u00e9 \\ud83d\\ude00 \\u0001" , "n" : [ 1 , 2 ] } ';
    expect(JSON.parse(await roundTrip(text))).toEqual(JSON.parse(text));
  });

  it('keeps integers as integers and floats as floats', async () => {
    expect(await evalOk(booted, 'local v = json.decode("[9007199254740993, 1.5, -0, 10]") return math.type(v[1]), v[1], math.type(v[2]), v[4]')).toBe(
      'integer\t9007199254740993\tfloat\t10',
    );
    // floats are written with the fewest digits that read back to the same double
    const floats = await evalOk(booted, 'return json.encode({ 3.0, 0.1, 1/3, 2^63 })');
    expect(floats).toBe('[3,0.1,0.33333333333333331,9.2233720368547758e+18]');
    expect(JSON.parse(floats)).toEqual([3, 0.1, 1 / 3, 2 ** 63]);
  });

  it('null decodes to nil; empty tables encode as []; sparse arrays as objects', async () => {
    expect(await evalOk(booted, 'local v = json.decode(\'{"a":null,"b":[1,null,3]}\') return v.a, #v.b >= 1, v.b[3]')).toBe('nil\ttrue\t3');
    expect(await evalOk(booted, 'return json.encode({}), json.encode({ [1] = "a", [3] = "c" })')).toBe('[]\t{"1":"a","3":"c"}');
  });

  it('rejects malformed JSON and unencodable values', async () => {
    for (const bad of ['{"a":}', '[1,]', '{"a" 1}', '"unterminated', '{"a":1} trailing', 'nul', '[1 2]']) {
      const r = await booted.process.evaluate(booted.msgs.eval(`return json.decode(${luaLong(bad)})`));
      expect(r.Error, bad).toMatch(/json:/);
    }
    const cyc = await booted.process.evaluate(booted.msgs.eval('local t = {} t.self = t return json.encode(t)'));
    expect(cyc.Error).toMatch(/circular/);
    const nan = await booted.process.evaluate(booted.msgs.eval('return json.encode(0/0)'));
    expect(nan.Error).toMatch(/cannot encode/);
  });

  it('skips functions inside objects (as aos does)', async () => {
    expect(await evalOk(booted, 'return json.encode({ a = 1, f = function() end })')).toBe('{"a":1}');
  });
});
