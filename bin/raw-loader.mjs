// Node module hook: `import text from './x.wgsl?raw'` gives the file's text, as Vite does, so
// code that loads its WGSL through Vite also runs under the `kvtp` command line in Node.
import { readFile } from 'node:fs/promises';

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('?raw')) {
    const url = new URL(specifier, context.parentURL);
    return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  // tsx may add its own query (a namespace) or drop ours: WGSL is always text.
  const file = new URL(url);
  if (file.search.includes('raw') || file.pathname.endsWith('.wgsl')) {
    file.search = '';
    const text = await readFile(file, 'utf8');
    return {
      format: 'module',
      source: `export default ${JSON.stringify(text)};`,
      shortCircuit: true,
    };
  }
  return next(url, context);
}
