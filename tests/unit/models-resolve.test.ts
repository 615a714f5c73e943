// From what a person names to the manifest loaded: registry ids, Hub repos (the registry's own,
// with another revision; others recognised by their config.json), served directories and picked
// folders (by config.json), with plain errors; a variant chosen among the files a folder has; the
// command line's --model / --relevance; and the model cache listed per package.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { modelArg } from '../../cli/model-arg.ts';
import { cacheListing } from '../../src/models/cache.ts';
import { parseHubId } from '../../src/models/hub.ts';
import {
  DEMO_RELEVANCE,
  DEMO_VLM,
  FIXTURE_RELEVANCE,
  FIXTURE_VLM,
  REGISTRY,
  SIGLIP_BASE,
  SMOLVLM2_256M,
  SMOLVLM2_500M,
} from '../../src/models/registry.ts';
import {
  describeRef,
  folderRef,
  matchConfig,
  resolveManifest,
  variantFor,
  type ResolveIo,
} from '../../src/models/resolve.ts';
import type { StoredEntry } from '../../src/models/store.ts';

const PUBLIC = new URL('../../public/models/', import.meta.url).pathname;
const config = (pkg: string) =>
  JSON.parse(readFileSync(join(PUBLIC, pkg, 'config.json'), 'utf8')) as Record<string, unknown>;

/** A resolver that serves config.json files from a table of URLs. */
function io(table: Record<string, unknown>, seen: string[] = []): ResolveIo {
  return {
    origin: 'http://app.test/',
    fetchJson: async (url) => {
      seen.push(url);
      return table[url] ?? null;
    },
  };
}

/** SmolVLM2-256M-Video-Instruct's config.json, its fields the matcher reads (MODELS.md). */
const SMOLVLM2_256M_CONFIG = {
  model_type: 'smolvlm',
  text_config: {
    hidden_size: 576,
    num_hidden_layers: 30,
    num_attention_heads: 9,
    num_key_value_heads: 3,
    vocab_size: 49280,
  },
};

describe('resolving a model', () => {
  it('takes registry ids, and says which kind is missing', async () => {
    expect(await resolveManifest('fixture-vlm', 'vlm', io({}))).toBe(FIXTURE_VLM);
    await expect(resolveManifest('fixture-vlm', 'relevance', io({}))).rejects.toMatchObject({
      code: 'unknown-model',
      message: expect.stringContaining('no relevance model "fixture-vlm"'),
    });
  });

  it('maps a registry Hub repo onto its manifest at the revision asked, without fetching', async () => {
    const seen: string[] = [];
    const m = await resolveManifest(
      { kind: 'hub', repo: 'huggingfacetb/SmolVLM2-500M-Video-Instruct', revision: 'v1' },
      'vlm',
      io({}, seen),
    );
    expect(m.id).toBe(SMOLVLM2_500M.id);
    expect(m.source).toEqual({
      kind: 'hub',
      repo: 'HuggingFaceTB/SmolVLM2-500M-Video-Instruct',
      revision: 'v1',
    });
    expect(seen).toEqual([]);
    const rel = await resolveManifest(
      { kind: 'hub', repo: 'Xenova/siglip-base-patch16-224' },
      'relevance',
      io({}),
    );
    expect(rel).toMatchObject({ id: SIGLIP_BASE.id, source: { revision: 'main' } });
  });

  it('recognises another Hub repo by its config.json', async () => {
    const url = 'http://mirror.test/someone/smolvlm2-copy/resolve/main/config.json';
    const m = await resolveManifest(
      { kind: 'hub', repo: 'someone/smolvlm2-copy', endpoint: 'http://mirror.test' },
      'vlm',
      io({ [url]: SMOLVLM2_256M_CONFIG }),
    );
    expect(m.id).toBe(SMOLVLM2_256M.id);
    expect(m.source).toMatchObject({ kind: 'hub', repo: 'someone/smolvlm2-copy' });
    await expect(
      resolveManifest({ kind: 'hub', repo: 'someone/nothing' }, 'vlm', io({})),
    ).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringMatching(/config\.json/),
    });
    const llama = 'https://huggingface.co/meta/llama/resolve/main/config.json';
    await expect(
      resolveManifest(
        { kind: 'hub', repo: 'meta/llama' },
        'vlm',
        io({ [llama]: { model_type: 'llama' } }),
      ),
    ).rejects.toMatchObject({ code: 'unknown-model', message: expect.stringMatching(/"llama"/) });
  });

  it('recognises every package of public/models by its config.json', () => {
    expect(matchConfig(config('fixture-vlm'), 'vlm')).toBe(FIXTURE_VLM);
    expect(matchConfig(config('fixture-relevance'), 'relevance')).toBe(FIXTURE_RELEVANCE);
    expect(matchConfig(config('demo-vlm'), 'vlm')).toBe(DEMO_VLM);
    expect(matchConfig(config('demo-relevance'), 'relevance')).toBe(DEMO_RELEVANCE);
    expect(matchConfig(SMOLVLM2_256M_CONFIG, 'vlm')).toBe(SMOLVLM2_256M);
    // SigLIP base leaves image size and width at their defaults (224, 768)
    expect(matchConfig({ model_type: 'siglip' }, 'relevance')).toBe(SIGLIP_BASE);
    expect(matchConfig(config('fixture-vlm'), 'relevance')).toBeNull();
  });

  it('takes a served directory and a picked folder with the files from there', async () => {
    const url = await resolveManifest(
      { kind: 'url', base: '/kvtp-local/vlm/' },
      'vlm',
      io({ 'http://app.test/kvtp-local/vlm/config.json': config('fixture-vlm') }),
    );
    expect(url).toMatchObject({
      id: 'fixture-vlm',
      source: { kind: 'url', base: '/kvtp-local/vlm/' },
    });
    const dir = join(PUBLIC, 'fixture-relevance');
    const picked = walk(dir).map((p) =>
      Object.assign(new File([readFileSync(join(dir, p))], p.split('/').pop()!), {
        webkitRelativePath: `my-siglip/${p}`,
      }),
    );
    const ref = folderRef(picked);
    expect(ref.name).toBe('my-siglip');
    expect(ref.files.map((f) => f.path)).toContain('onnx/text_model.onnx');
    expect(describeRef(ref)).toMatch(/folder "my-siglip" \(\d+ files\)/);
    const m = await resolveManifest(ref, 'relevance', io({}));
    expect(m.id).toBe('fixture-relevance');
    expect(m.source.kind).toBe('folder');
    const noConfig = { ...ref, files: ref.files.filter((f) => f.path !== 'config.json') };
    await expect(resolveManifest(noConfig, 'relevance', io({}))).rejects.toMatchObject({
      code: 'missing-file',
      message: expect.stringContaining('the folder "my-siglip" has no config.json'),
    });
  });

  it('chooses a variant among the files a folder has', () => {
    const gpu = { provider: 'webgpu', hasF16: false } as const;
    const q4 = new Set([
      'onnx/vision_encoder_q4.onnx',
      'onnx/embed_tokens_q4.onnx',
      'onnx/decoder_model_merged_q4.onnx',
    ]);
    const only = (set: Set<string>) => (p: string) => set.has(p) || !p.includes('onnx/');
    expect(variantFor(SMOLVLM2_256M, gpu, only(q4))).toBe('q4');
    const fp32 = new Set([...q4].map((p) => p.replace('_q4', '')));
    expect(variantFor(SMOLVLM2_256M, gpu, only(fp32))).toBe('fp32');
    // only f16 files, no shader-f16: the wanted variant stays (its missing file is then named)
    const f16 = new Set([...q4].map((p) => p.replace('_q4', '_fp16')));
    expect(variantFor(SMOLVLM2_256M, gpu, only(f16))).toBe('q4');
    expect(variantFor(SMOLVLM2_256M, { provider: 'webgpu', hasF16: true }, only(f16))).toBe('fp16');
    expect(variantFor(SMOLVLM2_256M, gpu, null)).toBe('q4');
  });
});

describe('kvtp ask --model / --relevance', () => {
  it('serves a directory, takes ids, and reads owner/name[@revision] as a Hub repo', () => {
    const dir = modelArg(join(PUBLIC, 'fixture-vlm'), 'vlm');
    expect(dir.ref).toMatchObject({ kind: 'url', base: '/kvtp-local/vlm/' });
    expect(dir.mounts).toEqual({ '/kvtp-local/vlm/': join(PUBLIC, 'fixture-vlm') });
    expect((dir.ref as { files?: readonly string[] }).files).toContain(
      'onnx/vision_encoder.onnx_data',
    );
    expect(modelArg('demo-relevance', 'relevance').ref).toEqual({
      kind: 'registry',
      id: 'demo-relevance',
    });
    expect(
      modelArg('HuggingFaceTB/SmolVLM2-256M-Video-Instruct@refs/pr/6', 'vlm', {
        HF_ENDPOINT: 'http://localhost:1',
      }).ref,
    ).toEqual({
      kind: 'hub',
      repo: 'HuggingFaceTB/SmolVLM2-256M-Video-Instruct',
      revision: 'refs/pr/6',
      endpoint: 'http://localhost:1',
    });
    expect(() => modelArg('no-such-thing', 'vlm', {})).toThrow(
      expect.objectContaining({
        code: 'usage',
        message: expect.stringMatching(/--model no-such-thing/),
      }),
    );
    // a directory wins over a repo of the same spelling
    const cwd = mkdtempSync(join(tmpdir(), 'kvtp-arg-'));
    expect(modelArg(cwd, 'relevance').ref.kind).toBe('url');
    rmSync(cwd, { recursive: true, force: true });
    expect(parseHubId('a/b@')).toBeNull();
    expect(parseHubId('../etc')).toBeNull();
    expect(parseHubId('a/b/c')).toBeNull();
  });
});

describe('the model cache, per package', () => {
  it('lists files, bytes, complete or partial, and what this device still needs', () => {
    const key = 'hub/HuggingFaceTB/SmolVLM2-256M-Video-Instruct@main';
    const e = (path: string, size: number, complete = true, expectedSize = size): StoredEntry => ({
      key: `${key}/${path}`,
      size,
      complete,
      expectedSize,
    });
    const entries = [
      e('onnx/vision_encoder_q4.onnx', 10),
      e('onnx/embed_tokens_q4.onnx', 20),
      e('onnx/decoder_model_merged_q4.onnx', 5, false, 30), // a download to resume
      e('tokenizer.json', 3, true, 4), // damaged: not the size announced
      { key: 'hub/x/y@refs%2Fpr%2F1/a.onnx', size: 1, complete: true },
    ];
    const [smol, other] = cacheListing(entries, REGISTRY, { provider: 'webgpu', hasF16: false });
    expect(smol).toMatchObject({
      key,
      repo: 'HuggingFaceTB/SmolVLM2-256M-Video-Instruct',
      revision: 'main',
      modelId: 'smolvlm2-256m-video',
      bytes: 38,
      state: 'partial',
      missing: ['onnx/decoder_model_merged_q4.onnx', 'tokenizer.json'],
    });
    expect(smol!.files.find((f) => f.path === 'tokenizer.json')).toMatchObject({
      complete: false,
      bytes: 3,
      expectedBytes: 4,
    });
    expect(other).toMatchObject({ revision: 'refs/pr/1', modelId: null, state: 'complete' });
    // the same files are not enough with shader-f16: that device loads q4f16
    const f16 = cacheListing(entries.slice(0, 2), REGISTRY, { provider: 'webgpu', hasF16: true });
    expect(f16[0]!.missing).toContain('onnx/decoder_model_merged_q4f16.onnx');
  });
});

function walk(dir: string, at = ''): string[] {
  return readdirSync(join(dir, at), { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(dir, join(at, d.name)) : [join(at, d.name)],
  );
}
