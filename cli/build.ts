// The command line runs the built app (dist/). In a checkout it rebuilds first when any source is
// newer than the build, so `kvtp` never runs stale code.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
export const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, 'automation.html');
const SOURCES = ['src', 'shaders', 'public', 'index.html', 'automation.html', 'vite.config.ts'];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** Whether dist/ is missing or older than a source file. */
export function buildIsStale(): boolean {
  if (!existsSync(STAMP)) return true;
  const built = statSync(STAMP).mtimeMs;
  return SOURCES.some((s) => newestMtime(join(ROOT, s)) > built);
}

/** Build the app with Vite if dist/ is missing or stale. */
export async function ensureBuilt(log: (line: string) => void = () => {}): Promise<void> {
  if (!buildIsStale()) return;
  let vite: typeof import('vite');
  try {
    vite = await import('vite');
  } catch {
    if (existsSync(STAMP)) return; // an installed package without Vite: use what is built
    throw Object.assign(new Error('no build'), {
      code: 'no-build',
      message:
        'The app is not built and Vite is not installed: run `npm install && npm run build`.',
    });
  }
  log('building the app (sources changed)…');
  await vite.build({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
}
