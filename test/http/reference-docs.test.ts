import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { errorsMarkdown, permissionsMarkdown } from '../../scripts/reference-docs.js';

describe('reference docs', () => {
  it('docs/errors.md lists every error code in src/platform/errors.ts (run scripts/reference-docs.ts)', () => {
    expect(readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')).toBe(errorsMarkdown());
  });
  it('docs/permissions.md lists every permission (run scripts/reference-docs.ts)', () => {
    expect(readFileSync(new URL('../../docs/permissions.md', import.meta.url), 'utf8')).toBe(permissionsMarkdown());
  });
});
