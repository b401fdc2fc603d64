import { describe, expect, it } from 'vitest';
import { apiFieldErrors, parseFieldValues, toFieldValues, type ObjectSchema } from './schema-form';

const schema: ObjectSchema = {
  properties: {
    distance: { type: 'integer', minimum: 0, maximum: 16, default: 10, unit: 'bits', hot: true },
    token: { type: 'string', pattern: '^[A-Za-z0-9_-]{43}$' },
    attestors: { type: 'array', maxItems: 2, default: [] },
    live: { type: 'boolean', default: false },
  },
  required: ['token'],
};

describe('a form from a blueprint config schema', () => {
  it('starts from the config values, else the defaults', () => {
    expect(toFieldValues(schema, { distance: 3 })).toEqual({ distance: '3', token: '', attestors: '[]', live: false });
  });

  it('refuses what the schema refuses, with the reason, before sending', () => {
    const { errors } = parseFieldValues(schema, { distance: '17', token: 'short', attestors: '[1,2,3]', live: true });
    expect(errors).toEqual({ distance: 'distance must be at most 16', token: expect.stringContaining('expected form'), attestors: 'attestors may hold at most 2 items' });
    expect(parseFieldValues(schema, { distance: '1.5', token: '', attestors: 'nope', live: false }).errors).toEqual({
      distance: 'distance must be a whole number',
      token: 'token is required',
      attestors: expect.stringContaining('must be JSON'),
    });
  });

  it('turns valid fields into config values, only the keys asked for', () => {
    const fields = { distance: '4', token: 'a'.repeat(43), attestors: '["x"]', live: true };
    expect(parseFieldValues(schema, fields)).toEqual({ config: { distance: 4, token: 'a'.repeat(43), attestors: ['x'], live: true }, errors: {} });
    expect(parseFieldValues(schema, fields, new Set(['distance'])).config).toEqual({ distance: 4 });
  });

  it("puts the API's refusals beside their fields", () => {
    expect(apiFieldErrors({ fields: [{ field: 'config.distance', message: 'too far' }, { field: 'name', message: 'taken' }] })).toEqual({ distance: 'too far' });
    expect(apiFieldErrors({ fields: [{ field: 'name', message: 'taken' }] }, '')).toEqual({ name: 'taken' });
    expect(apiFieldErrors(undefined)).toEqual({});
  });
});
