// A test page (served by Vite's dev server in tests/e2e/encode-chunks.test.ts, never built into
// the app): the vision encoder and the relevance image tower of a package on a WebGPU device
// whose limits the test chooses, through the app's own GPU encode (encodeTexturesGpu), recording
// every buffer the device is asked for and every uncaptured GPU error.
import { acquireGpu, type GpuLimits } from '../../../src/gpu/device.ts';
import { readback } from '../../../src/gpu/transfer.ts';
import { TextureUsage } from '../../../src/gpu/usage.ts';
import { createSession } from '../../../src/models/loader.ts';
import {
  variantPaths,
  type RelevanceManifest,
  type VlmManifest,
} from '../../../src/models/manifest.ts';
import { onnxRuntime } from '../../../src/models/ort.ts';
import {
  FIXTURE_RELEVANCE,
  FIXTURE_VLM,
  SIGLIP_BASE,
  SMOLVLM2_256M,
} from '../../../src/models/registry.ts';
import { RelevanceModel } from '../../../src/models/relevance.ts';
import { encodeTexturesGpu } from '../../../src/vlm/gpu-video.ts';
import { encodePlans, type LoadedVlm } from '../../../src/vlm/pipeline.ts';

type Caps = Partial<Pick<GpuLimits, 'maxStorageBufferBindingSize' | 'maxBufferSize'>>;

export interface EncodeCheck {
  readonly limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  readonly plans: { vision: number; relevance: number };
  readonly progress: string[];
  /** The largest buffer anyone (ONNX Runtime, our code) created on the device while encoding. */
  readonly largestBuffer: number;
  /** The largest buffers created: size, usage flags, label. */
  readonly buffers: { size: number; usage: number; label: string }[];
  readonly errors: string[];
  readonly tokens: number[];
  readonly embeddings: number[];
  readonly finite: boolean;
  readonly ms: number;
}

const PACKAGES = {
  fixture: {
    vlm: { manifest: FIXTURE_VLM, base: '/public/models/fixture-vlm/' },
    relevance: { manifest: FIXTURE_RELEVANCE, base: '/public/models/fixture-relevance/' },
  },
  replica: {
    vlm: {
      manifest: {
        ...SMOLVLM2_256M,
        files: {
          ...SMOLVLM2_256M.files,
          visionEncoder: { base: 'onnx/vision_encoder', externalData: true },
        },
      } as VlmManifest,
      base: '/.cache/replicas/smolvlm2-256m/',
    },
    relevance: {
      manifest: {
        ...SIGLIP_BASE,
        files: {
          ...SIGLIP_BASE.files,
          visionModel: { base: 'onnx/vision_model', externalData: true },
        },
      } as RelevanceManifest,
      base: '/.cache/replicas/siglip-base-224/',
    },
  },
} as const;

async function files(base: string, paths: (string | null)[]): Promise<Map<string, Blob>> {
  const out = new Map<string, Blob>();
  for (const p of paths) {
    if (!p) continue;
    const r = await fetch(base + p);
    if (!r.ok) throw new Error(`${base + p}: HTTP ${r.status}`);
    out.set(p, await r.blob());
  }
  return out;
}

function frameTexture(device: GPUDevice, i: number): GPUTexture {
  const [w, h] = [96, 64];
  const rgba = new Uint8Array(w * h * 4);
  for (let j = 0; j < rgba.length; j++) rgba[j] = (j * 7 + i * 53) % 253;
  const texture = device.createTexture({
    size: [w, h],
    format: 'rgba8unorm',
    usage: TextureUsage.TEXTURE_BINDING | TextureUsage.COPY_DST | TextureUsage.RENDER_ATTACHMENT,
  });
  device.queue.writeTexture({ texture }, rgba, { bytesPerRow: w * 4 }, [w, h]);
  return texture;
}

async function encodeCheck(
  which: keyof typeof PACKAGES,
  frames: number,
  caps?: Caps,
  /** Return the values (else only how many, and whether all are finite). */
  values = true,
): Promise<EncodeCheck> {
  const ctx = await acquireGpu(navigator.gpu, caps ? { limits: caps } : {});
  const { device } = ctx;
  const ort = onnxRuntime();
  const pkg = PACKAGES[which];
  const v = variantPaths(pkg.vlm.manifest.files.visionEncoder, 'fp32');
  const r = variantPaths(pkg.relevance.manifest.files.visionModel, 'fp32');
  const opts = { provider: 'webgpu', device } as const;
  const vision = await createSession(
    ort,
    await files(pkg.vlm.base, [v.model, v.data]),
    pkg.vlm.manifest.files.visionEncoder,
    'fp32',
    { ...opts, gpuOutputs: ['image_features'] },
  );
  const tower = await createSession(
    ort,
    await files(pkg.relevance.base, [r.model, r.data]),
    pkg.relevance.manifest.files.visionModel,
    'fp32',
    opts,
  );
  const tokenizer = (await (
    await fetch('/public/models/fixture-relevance/tokenizer.json')
  ).json()) as object;
  // encoding uses the image tower only; the text tower stands in for nothing here
  const relevance = new RelevanceModel(
    ort,
    pkg.relevance.manifest,
    tower,
    tower,
    tokenizer,
    {},
    null,
  );
  const vlm = { manifest: pkg.vlm.manifest, vision, provider: 'webgpu' } as unknown as LoadedVlm;
  const textures = Array.from({ length: frames }, (_, i) => ({
    t: i,
    texture: frameTexture(device, i),
  }));
  let largestBuffer = 0;
  const buffers: { size: number; usage: number; label: string }[] = [];
  const create = device.createBuffer.bind(device);
  device.createBuffer = (d: GPUBufferDescriptor) => {
    largestBuffer = Math.max(largestBuffer, d.size);
    buffers.push({ size: d.size, usage: d.usage, label: d.label ?? '' });
    return create(d);
  };
  ctx.takeErrors();
  const progress: string[] = [];
  const start = performance.now();
  const feats = await encodeTexturesGpu(ort, vlm, relevance, textures, frames, ctx, {
    onChunk: (tower, done, total) => progress.push(`${tower} ${done}/${total}`),
  });
  const ms = performance.now() - start;
  const t = feats.tokens;
  const tokens = new Float32Array(await readback(device, t.gpu!, t.frames * t.tokens * t.dim * 4));
  const plans = encodePlans(vlm, relevance, frames, ctx.limits);
  device.createBuffer = create;
  const result: EncodeCheck = {
    limits: {
      maxStorageBufferBindingSize: ctx.limits.maxStorageBufferBindingSize,
      maxBufferSize: ctx.limits.maxBufferSize,
    },
    plans: { vision: plans.vision.size, relevance: plans.relevance.size },
    progress,
    largestBuffer,
    buffers: buffers.sort((a, b) => b.size - a.size).slice(0, 8),
    errors: ctx.takeErrors(),
    tokens: values ? Array.from(tokens) : [tokens.length],
    embeddings: values ? Array.from(feats.frameEmbeddings) : [feats.frameEmbeddings.length],
    finite: tokens.every(Number.isFinite) && feats.frameEmbeddings.every(Number.isFinite),
    ms,
  };
  t.gpu!.destroy();
  textures.forEach((x) => x.texture.destroy());
  await vision.release();
  await tower.release();
  device.destroy();
  return result;
}

declare global {
  interface Window {
    encodeCheck: typeof encodeCheck;
  }
}
window.encodeCheck = encodeCheck;
