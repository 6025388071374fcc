// Builds the web console (web/ → web/dist) with Vite's build API. `--if-stale` skips the build when web/dist is
// newer than every source file, so `npm test` and `npm run demo` stay fast after the first build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'vite';

const web = join(process.cwd(), 'web');
const builtIndex = join(web, 'dist', 'index.html');

function newestSource(dir: string): number {
  // A directory's own time changes when a file in it is deleted or renamed.
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const ifStale = process.argv.includes('--if-stale');
if (ifStale && existsSync(builtIndex) && statSync(builtIndex).mtimeMs >= newestSource(web)) {
  process.exit(0);
}
await build({ configFile: join(web, 'vite.config.ts') });
console.log('web console built into web/dist');
