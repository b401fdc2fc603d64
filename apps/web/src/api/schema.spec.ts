import { readFile } from 'node:fs/promises';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import { describe, expect, it } from 'vitest';

describe('the API client types', () => {
  it('are what openapi-typescript makes of the committed OpenAPI document (npm run openapi:update regenerates both)', async () => {
    const document = new URL('./openapi.json', import.meta.url);
    const generated = `${COMMENT_HEADER}${astToString(await openapiTS(document, { silent: true }))}`;
    expect(generated).toBe(await readFile(new URL('./schema.d.ts', import.meta.url), 'utf8'));
  }, 60_000);
});
