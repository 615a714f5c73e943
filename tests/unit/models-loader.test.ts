// Loading a package's files: from a picked folder (missing files named), from a URL path (fetched,
// not stored), from the Hub (stored, then served from the store), with progress per file.
import { describe, expect, it } from 'vitest';
import { loadPackageFiles } from '../../src/models/loader.ts';
import type { VlmManifest } from '../../src/models/manifest.ts';
import { SMOLVLM2_256M } from '../../src/models/registry.ts';
import { MemoryStore } from '../../src/models/store.ts';

const files = [
  'onnx/vision_encoder_q4.onnx',
  'onnx/embed_tokens_q4.onnx',
  'onnx/decoder_model_merged_q4.onnx',
  'tokenizer.json',
];

function fakeFetch(served: Map<string, string>, log: string[]): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    log.push(url);
    const body = served.get(url);
    if (body === undefined) return new Response('no', { status: 404 });
    return new Response(body, { status: 200, headers: { 'content-length': String(body.length) } });
  }) as typeof fetch;
}

describe('loadPackageFiles', () => {
  it('takes a folder package and names a missing file', async () => {
    const map = new Map(files.map((f) => [f, new Blob([f])]));
    const folder: VlmManifest = {
      ...SMOLVLM2_256M,
      source: { kind: 'folder', name: 'smol', files: map },
    };
    const got = await loadPackageFiles(folder, 'q4', { store: new MemoryStore() });
    expect([...got.keys()]).toEqual(files);
    map.delete('tokenizer.json');
    await expect(
      loadPackageFiles(folder, 'q4', { store: new MemoryStore() }),
    ).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining('tokenizer.json is not in the folder "smol"'),
    });
  });

  it('fetches a URL package without storing it, and a Hub package into the store', async () => {
    const origin = 'http://localhost:5173/';
    const urlPkg: VlmManifest = { ...SMOLVLM2_256M, source: { kind: 'url', base: 'models/x/' } };
    const served = new Map(files.map((f) => [`${origin}models/x/${f}`, `bytes of ${f}`]));
    const log: string[] = [];
    const store = new MemoryStore();
    const progress: string[] = [];
    const got = await loadPackageFiles(urlPkg, 'q4', {
      store,
      origin,
      fetch: fakeFetch(served, log),
      onProgress: (p) => progress.push(`${p.fileIndex + 1}/${p.files} ${p.file}`),
    });
    expect(await got.get('tokenizer.json')!.text()).toBe('bytes of tokenizer.json');
    expect(await store.list()).toEqual([]);
    expect(progress).toContain('4/4 tokenizer.json');

    const hub: VlmManifest = {
      ...SMOLVLM2_256M,
      source: { kind: 'hub', repo: 'a/b', revision: 'main', endpoint: 'http://hub' },
    };
    const hubServed = new Map(files.map((f) => [`http://hub/a/b/resolve/main/${f}`, `hub ${f}`]));
    const hubLog: string[] = [];
    await loadPackageFiles(hub, 'q4', { store, fetch: fakeFetch(hubServed, hubLog) });
    expect((await store.list()).filter((e) => e.complete).length).toBe(4);
    hubLog.length = 0;
    const again = await loadPackageFiles(hub, 'q4', { store, fetch: fakeFetch(hubServed, hubLog) });
    // all from the store: only the commit is asked (this server has no API, so none is pinned)
    expect(hubLog).toEqual(['http://hub/api/models/a/b/revision/main']);
    expect(await again.get('onnx/embed_tokens_q4.onnx')!.text()).toBe(
      'hub onnx/embed_tokens_q4.onnx',
    );
  });

  it('a file the server does not have is a missing-file error', async () => {
    const hub: VlmManifest = {
      ...SMOLVLM2_256M,
      source: { kind: 'hub', repo: 'a/b', revision: 'main', endpoint: 'http://hub' },
    };
    await expect(
      loadPackageFiles(hub, 'q4', { store: new MemoryStore(), fetch: fakeFetch(new Map(), []) }),
    ).rejects.toMatchObject({ code: 'missing-file' });
  });
});
