// The type checker and the linter are part of the test command, so a clean checkout proves both.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { code: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('static checks', () => {
  it('type-checks with TypeScript strict', { timeout: 300_000 }, () => {
    for (const project of ['tsconfig.json', 'web/tsconfig.json']) {
      const tsc = run(process.execPath, ['node_modules/typescript/bin/tsc', '--noEmit', '-p', project]);
      expect(tsc.output, project).toBe('');
      expect(tsc.code, project).toBe(0);
    }
  });

  it('passes ESLint', { timeout: 300_000 }, () => {
    const eslint = run(process.execPath, ['node_modules/eslint/bin/eslint.js', '.']);
    expect(eslint.output).toBe('');
    expect(eslint.code).toBe(0);
  });
});
