// From what a person names (a package id, a Hub repo, a folder on disk or picked in the browser) to
// the manifest the pipeline loads. A Hub repo the registry lists takes the registry's manifest
// with the revision asked for; any other repo, folder or served directory is recognised by its
// config.json: it must describe one of the registry's models (the same architecture and sizes),
// whose manifest is then used with the files from there. Nothing is guessed beyond that.

import { modelError } from './errors.ts';
import {
  chooseVariant,
  manifestFiles,
  type DtypeVariant,
  type ModelManifest,
  type VariantTarget,
} from './manifest.ts';
import { REGISTRY } from './registry.ts';
import { fileUrl, type PackageSource } from './source.ts';

/** A file of a folder the user picked, by its path below that folder. */
export interface FolderFile {
  readonly path: string;
  readonly file: Blob;
}

/**
 * Where a model package comes from, as the page or the command line names it:
 * - `registry`: a package of src/models/registry.ts by id (the demo, the Hub models, the fixtures);
 * - `hub`: a Hugging Face Hub repo (`owner/name`) at a revision (a branch, tag or commit; default
 *   the registry's, else `main`); `endpoint` for a mirror (the command line passes HF_ENDPOINT);
 * - `url`: a package folder served over HTTP (a directory the command line serves, a path of the
 *   app's own site); `files`, when the server's listing is known, lets a variant be chosen among
 *   the files that are there;
 * - `folder`: files picked in the browser (<input type="file" webkitdirectory>), each with its
 *   path below the picked folder — make it with `folderRef(input.files)`.
 */
export type ModelRef =
  | { readonly kind: 'registry'; readonly id: string }
  | {
      readonly kind: 'hub';
      readonly repo: string;
      readonly revision?: string;
      readonly endpoint?: string;
    }
  | { readonly kind: 'url'; readonly base: string; readonly files?: readonly string[] }
  | { readonly kind: 'folder'; readonly name: string; readonly files: readonly FolderFile[] };

/** A ref or, as before refs existed, a registry id. */
export type ModelRefLike = ModelRef | string;

export function asRef(ref: ModelRefLike): ModelRef {
  return typeof ref === 'string' ? { kind: 'registry', id: ref } : ref;
}

/** A short text naming where `ref` points (for messages, keys and the command line's report). */
export function describeRef(ref: ModelRefLike): string {
  const r = asRef(ref);
  if (r.kind === 'registry') return r.id;
  if (r.kind === 'hub') return `${r.repo}${r.revision ? `@${r.revision}` : ''}`;
  if (r.kind === 'url') return r.base;
  return `folder "${r.name}" (${r.files.length} files)`;
}

/** A folder picked with <input webkitdirectory>: each file with its path below the folder. */
export function folderRef(files: Iterable<File>): Extract<ModelRef, { kind: 'folder' }> {
  const out: FolderFile[] = [];
  let name = 'folder';
  for (const f of files) {
    const rel = (f as File & { webkitRelativePath?: string }).webkitRelativePath || f.name;
    const parts = rel.split('/');
    if (parts.length > 1) name = parts[0]!;
    out.push({ path: parts.length > 1 ? parts.slice(1).join('/') : rel, file: f });
  }
  return { kind: 'folder', name, files: out };
}

/** How the resolver reads a JSON file of a package that is not loaded yet. */
export interface ResolveIo {
  /** The parsed JSON at `url`, or null when there is none (404, unreachable, not JSON). */
  fetchJson(url: string): Promise<unknown>;
  /** Origin that `url` refs are relative to. */
  readonly origin?: string;
}

type ManifestOf<K extends ModelManifest['kind']> = Extract<ModelManifest, { kind: K }>;

/** The manifest `ref` stands for, of kind `kind` (a VLM or a relevance model). */
export async function resolveManifest<K extends ModelManifest['kind']>(
  ref: ModelRefLike,
  kind: K,
  io: ResolveIo,
): Promise<ManifestOf<K>> {
  const r = asRef(ref);
  const what = kind === 'vlm' ? 'language model' : 'relevance model';
  if (r.kind === 'registry') {
    const m = REGISTRY.find((x) => x.id === r.id && x.kind === kind);
    if (!m) throw modelError('unknown-model', `there is no ${what} "${r.id}"`);
    return m as ManifestOf<K>;
  }
  if (r.kind === 'hub') {
    const listed = REGISTRY.find(
      (x) =>
        x.kind === kind &&
        x.source.kind === 'hub' &&
        x.source.repo.toLowerCase() === r.repo.toLowerCase(),
    );
    const base = listed?.source.kind === 'hub' ? listed.source : null;
    const source: PackageSource = {
      kind: 'hub',
      repo: base?.repo ?? r.repo,
      revision: r.revision ?? base?.revision ?? 'main',
      ...(r.endpoint && { endpoint: r.endpoint }),
    };
    if (listed) return { ...listed, source } as ManifestOf<K>;
    const config = await io.fetchJson(fileUrl(source, 'config.json')!);
    return fromConfig(config, kind, source, `the Hub repo ${r.repo}`);
  }
  if (r.kind === 'url') {
    const source: PackageSource = { kind: 'url', base: r.base };
    const url = new URL(
      'config.json',
      new URL(withSlash(r.base), io.origin ?? globalThis.location?.href),
    );
    return fromConfig(await io.fetchJson(url.href), kind, source, r.base);
  }
  const files = new Map(r.files.map((f) => [f.path, f.file]));
  const source: PackageSource = { kind: 'folder', name: r.name, files };
  const blob = files.get('config.json');
  const config = blob ? (JSON.parse(await blob.text()) as unknown) : null;
  return fromConfig(config, kind, source, `the folder "${r.name}"`);
}

function withSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}

function fromConfig<K extends ModelManifest['kind']>(
  config: unknown,
  kind: K,
  source: PackageSource,
  where: string,
): ManifestOf<K> {
  if (!config || typeof config !== 'object') {
    throw modelError('missing-file', `${where} has no config.json, which says what model it is`);
  }
  const match = matchConfig(config as Record<string, unknown>, kind);
  if (!match) {
    const type = String((config as { model_type?: unknown }).model_type ?? 'none');
    throw modelError(
      'unknown-model',
      `the config.json of ${where} (model_type "${type}") matches none of kvtp-web's ${kind === 'vlm' ? 'language' : 'relevance'} models`,
    );
  }
  return { ...match, source } as ManifestOf<K>;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** The registry manifest whose architecture and sizes `config` (a config.json) describes. */
export function matchConfig<K extends ModelManifest['kind']>(
  config: Record<string, unknown>,
  kind: K,
): ManifestOf<K> | null {
  const type = config.model_type;
  for (const m of REGISTRY) {
    if (m.kind !== kind) continue;
    if (m.kind === 'vlm' && (type === 'smolvlm' || type === 'idefics3')) {
      const text = (config.text_config ?? {}) as Record<string, unknown>;
      const same =
        num(text.hidden_size) === m.vision.hidden &&
        num(text.num_hidden_layers) === m.decoder.layers &&
        num(text.vocab_size) === m.decoder.vocab &&
        (num(text.num_attention_heads) ?? m.decoder.heads) === m.decoder.heads &&
        (num(text.num_key_value_heads) ?? m.decoder.kvHeads) === m.decoder.kvHeads;
      if (same) return m as ManifestOf<K>;
    }
    if (m.kind === 'relevance' && type === 'siglip') {
      // SigLIP's defaults where its config leaves them out (base: 224 × 224, width 768)
      const vision = (config.vision_config ?? {}) as Record<string, unknown>;
      const text = (config.text_config ?? {}) as Record<string, unknown>;
      const image = num(vision.image_size) ?? 224;
      const width = num(config.projection_dim) ?? num(text.hidden_size) ?? 768;
      if (image === m.image.width && width === m.embedDim) return m as ManifestOf<K>;
    }
  }
  return null;
}

/**
 * The variant to load from `manifest`: the one for the target when its files are there (always,
 * when what is there is unknown), else the first available variant whose files are all present
 * (never an f16 one without shader-f16), else the target's (its missing file is then named).
 */
export function variantFor(
  manifest: ModelManifest,
  target: VariantTarget,
  present: ((path: string) => boolean) | null,
): DtypeVariant {
  const wanted = chooseVariant(manifest.variants, target);
  if (!present) return wanted;
  const complete = (v: DtypeVariant) =>
    manifestFiles(manifest, v)
      .filter((p) => p.endsWith('.onnx') || p.endsWith('.onnx_data'))
      .every(present);
  if (complete(wanted)) return wanted;
  const f16ok = target.provider === 'webgpu' && target.hasF16;
  const other = manifest.variants.available.find(
    (v) => (f16ok || (v !== 'fp16' && v !== 'q4f16')) && complete(v),
  );
  return other ?? wanted;
}

/** What is known to be in a ref's package (null: not known without fetching). */
export function presentFiles(ref: ModelRefLike): ((path: string) => boolean) | null {
  const r = asRef(ref);
  if (r.kind === 'folder') {
    const set = new Set(r.files.map((f) => f.path));
    return (p) => set.has(p);
  }
  if (r.kind === 'url' && r.files) {
    const set = new Set(r.files);
    return (p) => set.has(p);
  }
  return null;
}
