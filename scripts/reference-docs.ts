// Generates docs/errors.md and docs/permissions.md from the tables in code, so the docs cannot drift:
// `npx tsx scripts/reference-docs.ts` rewrites them; a test fails when they are stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCodes } from '../src/platform/errors.js';
import { permissionCatalog } from '../src/platform/permissions.js';

export function errorsMarkdown(): string {
  const rows = Object.entries(errorCodes).map(([code, { status, summary }]) => `| \`${code}\` | ${status} | ${summary} |`);
  return [
    '# Error codes',
    '',
    'Every error the API returns has the shape `{"error":{"code":"STABLE_CODE","message":"…"}}`. Codes are stable;',
    'messages are for people and may change. Generated from `src/platform/errors.ts`.',
    '',
    '| code | HTTP status | meaning |',
    '|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export function permissionsMarkdown(): string {
  const rows = Object.entries(permissionCatalog).map(([name, text]) => `| \`${name}\` | ${text} |`);
  return [
    '# Permissions',
    '',
    'Roles are composed of these permissions; every route declares the one it needs. Generated from',
    '`src/platform/permissions.ts`.',
    '',
    '| permission | allows |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown());
  writeFileSync(new URL('../docs/permissions.md', import.meta.url), permissionsMarkdown());
}
