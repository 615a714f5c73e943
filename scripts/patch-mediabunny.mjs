// Runs after `npm install` (package.json "postinstall"): fixes a hang in mediabunny 1.61's
// Matroska resync (src/matroska/ebml.ts, `resync`). When its byte-wise search for the next
// element reaches its limit (the end of the file, or its 2 MiB window) without finding one, the
// last slice it reads is exactly MAX_VAR_INT_SIZE (8) bytes long: `slice.length < 8` lets it
// through, the scan loop below runs zero times, the position never moves, and the same cached
// slice comes back forever, synchronously — the worker hangs. A damaged or junk-ended WebM (a
// live-muxed file with bytes after its last cluster) is enough. The fix stops at 8 bytes as at
// fewer. Idempotent; says so and does nothing if mediabunny already has the fix or is absent.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(new URL('..', import.meta.url).pathname, 'node_modules/mediabunny/dist');
const FILES = [
  'modules/src/matroska/ebml.js',
  'bundles/mediabunny.mjs',
  'bundles/mediabunny.cjs',
  'bundles/mediabunny.node.cjs',
];
const BUG = /if \(slice\.length < MAX_VAR_INT_SIZE\)/g;
const FIX = 'if (slice.length <= MAX_VAR_INT_SIZE)';

let patched = 0;
for (const file of FILES) {
  const path = join(ROOT, file);
  if (!existsSync(path)) continue;
  const text = readFileSync(path, 'utf8');
  const fixed = text.replace(BUG, FIX);
  if (fixed !== text) {
    writeFileSync(path, fixed);
    patched++;
  }
}
if (patched > 0)
  console.log(`patch-mediabunny: fixed the Matroska resync hang in ${patched} files`);
