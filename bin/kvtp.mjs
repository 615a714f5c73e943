#!/usr/bin/env node
// `kvtp`: the command line. Runs the TypeScript sources directly (tsx), with WGSL imported as
// text the way Vite does; the browser work itself runs in headless Chromium (see cli/).
import { register } from 'node:module';
import { tsImport } from 'tsx/esm/api';

register('./raw-loader.mjs', import.meta.url);
const { main } = await tsImport('../cli/main.ts', import.meta.url);
process.exitCode = await main(process.argv.slice(2));
