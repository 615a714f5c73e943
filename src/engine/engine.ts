// The engine: one object that owns the GPU device (and the GPU objects that live as long as it),
// the loaded models, the open video with its features, and the work of each question. Its API is
// small and typed (capabilities, open a video, ask, select, model commands, benches); the worker
// is a thin adapter from the message protocol to it, and Node tests can drive it directly.
// Every request gets a `Work` (an AbortSignal and where its events go). The compute path — GPU
// buffers shared with ONNX Runtime, or CPU tensors — is chosen here once per device and models.

import { CodedError, isAbort } from '../core/errors.ts';
import type { GpuContext } from '../gpu/device.ts';
import { gpuObjectCounts, type GpuObjectCounts } from '../gpu/counters.ts';
import { cpuBackend } from '../kvtp/cpu.ts';
import type { PackageProgress } from '../models/loader.ts';
import { onnxRuntime } from '../models/ort.ts';
import type { ModelStore } from '../models/store.ts';
import type { SampledVideo } from '../video/index.ts';
import { cpuPath, gpuPath, type ComputePath } from '../vlm/compute-path.ts';
import { gpuPathFits, type BitmapFrame } from '../vlm/gpu-video.ts';
import type { LoadedVlm, RgbaFrame } from '../vlm/pipeline.ts';
import { capabilities } from './capabilities.ts';
import { DeviceSlot, type DeviceResources } from './device.ts';
import { FeatureCache } from './features.ts';
import { clearModelCache, listModels, modelCache } from './model-commands.ts';
import { choiceKey, ModelHost, type LoadContext } from './models.ts';
import { deviceLostNotice, downloadEvent, wasmFallbackNotice } from './notices.ts';
import { askQuestion, selectOnly, type Counters, type Prepared } from './question.ts';
import type {
  AskArgs,
  AskResult,
  BenchKernelsArgs,
  Capabilities,
  ModelCacheListing,
  ModelChoice,
  ModelList,
  OpenArgs,
  OpenResult,
  PipelineEvent,
  PrepareResult,
  Selection,
  Work,
  WorkCounters,
} from './types.ts';
import { closeVideo, sampleForOpen, videoSummary } from './video.ts';

/** The progress stages of encoding a video's frames, per tower. */
export const ENCODING_STAGE = {
  vision: 'encoding frames',
  relevance: 'encoding frames for relevance',
} as const;

export interface EngineOptions {
  /** Acquire a GPU device (called on first use, and again after a loss). */
  readonly acquireGpu: () => Promise<GpuContext>;
  /** The app's base URL: app-served packages (the demo) load from it. */
  readonly origin: string;
  /** Where downloads are kept (default: OPFS, or memory where the browser has none). */
  readonly store?: ModelStore;
}

/** The engine's counters and the GPU objects our code made on the current device. */
export interface EngineCounters extends WorkCounters {
  readonly gpuObjects: GpuObjectCounts | null;
}

export class Engine {
  readonly device: DeviceSlot;
  readonly models: ModelHost;
  private readonly features = new FeatureCache();
  private video: SampledVideo | null = null;
  /** The device the loaded models and features were made on (undefined before any question). */
  private lastDevice: GPUDevice | null | undefined;
  private readonly paths = new WeakMap<LoadedVlm, ComputePath>();
  private readonly counts: Counters = {
    videoDecodes: 0,
    visionEncodes: 0,
    relevanceImageEncodes: 0,
    textEncodes: 0,
    selections: 0,
    generations: 0,
  };

  constructor(options: EngineOptions) {
    this.device = new DeviceSlot(options.acquireGpu);
    this.models = new ModelHost(options.origin, options.store);
  }

  capabilities(): Promise<Capabilities> {
    return capabilities(this.device);
  }

  /** Sample a video; it becomes the open video once sampled (the old one is kept until then). */
  async open(args: OpenArgs, work: Work): Promise<OpenResult> {
    const started = performance.now();
    const video = await sampleForOpen(args, work);
    this.setVideo(video);
    this.counts.videoDecodes++;
    return { ...videoSummary(video), elapsedMs: performance.now() - started };
  }

  /** The open video's facts and frame times, or null when none is open. */
  openVideo(): Omit<OpenResult, 'elapsedMs'> | null {
    return this.video && videoSummary(this.video);
  }

  /** The open video itself (frames and all), or null. */
  get currentVideo(): SampledVideo | null {
    return this.video;
  }

  /** Replace the open video directly (tests and tools that sample without `open`). */
  setVideo(video: SampledVideo | null): void {
    if (this.video && this.video !== video) {
      this.features.clear(); // the old video's encoding stops, its features are freed
      closeVideo(this.video);
    }
    this.video = video;
  }

  async ask(args: AskArgs, work: Work): Promise<AskResult> {
    const p = await this.prepare(args.models, work);
    try {
      return await askQuestion(p, args, work, this.counts);
    } finally {
      p.done();
    }
  }

  /**
   * Encode the open video's frames with `models` now (the page sends this once a video is open
   * and whenever the models change, while the user types): a question asked meanwhile waits for
   * this encoding, and the first question after it costs what a follow-up costs.
   */
  async prepareFrames(args: { models: ModelChoice }, work: Work): Promise<PrepareResult> {
    const started = performance.now();
    const p = await this.prepare(args.models, work);
    p.done();
    return {
      frames: p.feats.times.length,
      encoded: p.encoded,
      visionMs: p.encoded ? p.feats.timings.visionMs : 0,
      relevanceMs: p.encoded ? p.feats.timings.relevanceMs : 0,
      elapsedMs: performance.now() - started,
    };
  }

  async select(args: AskArgs, work: Work): Promise<Selection> {
    const p = await this.prepare(args.models, work);
    try {
      return await selectOnly(p, args, work, this.counts);
    } finally {
      p.done();
    }
  }

  /** How often each expensive step ran, and the GPU objects made on the current device. */
  /** The work counts, and the GPU objects of the device in use (null before any was acquired). */
  async counters(): Promise<EngineCounters> {
    const r = await this.device.acquired();
    return { ...this.counts, gpuObjects: r ? gpuObjectCounts(r.ctx.device) : null };
  }

  listModels(provider?: 'auto' | 'wasm'): Promise<ModelList> {
    return listModels(this.device, provider);
  }

  modelCache(provider?: 'auto' | 'wasm'): Promise<ModelCacheListing> {
    return modelCache(this.models, this.device, provider);
  }

  clearModelCache(pkg?: string): Promise<ModelCacheListing> {
    return clearModelCache(this.models, this.device, pkg);
  }

  /** Time the KVTP kernels with this device's own backend and pool, as questions use them. */
  async benchKernels(args: BenchKernelsArgs, work: Work) {
    // loaded on demand: the bench code stays out of the app's first load
    const { benchShape } = await import('../kvtp/bench.ts');
    const r = await this.device.resources();
    const rows = [];
    for (const [i, shape] of args.shapes.entries()) {
      work.signal.throwIfAborted();
      const total = args.shapes.length;
      work.emit({ type: 'progress', stage: `bench ${shape.name}`, done: i, total });
      rows.push(...(await benchShape(r, shape, args.methods, args)));
    }
    return { rows };
  }

  async benchPrefill(args: import('../vlm/bench-prefill.ts').PrefillBenchArgs, work: Work) {
    const { benchPrefill } = await import('../vlm/bench-prefill.ts');
    const ctx = await this.device.context();
    return benchPrefill(onnxRuntime(), ctx, args, (stage) =>
      work.emit({ type: 'progress', stage, done: 0, total: 0 }),
    );
  }

  /** Models loaded, the compute path chosen, the open video's features ready (or computed). */
  private async prepare(models: ModelChoice, work: Work): Promise<Prepared> {
    const video = this.video;
    if (!video) throw new CodedError('no-video', 'Open a video first, then ask about it');
    // WebGPU failed: the page says so (the models run on the CPU backend), unless wasm was chosen
    const res = await this.device.resourcesOrNull((e) => {
      if (models.provider !== 'wasm') work.emit(wasmFallbackNotice(e));
    });
    this.noteDevice(res, work);
    const load: LoadContext = {
      gpu: models.provider === 'wasm' ? null : (res?.ctx ?? null),
      signal: work.signal,
      onProgress: (p: PackageProgress & { model: string }) => work.emit(downloadEvent(p.model, p)),
      onNotice: (notice: PipelineEvent) => work.emit(notice),
    };
    // one at a time: ONNX Runtime's WebGPU provider creates one session at a time
    const vlm = await ownLoad(() => this.models.vlm(models.vlm, load), work.signal);
    const relevance = await ownLoad(
      () => this.models.relevance(models.relevance, load),
      work.signal,
    );
    const path = this.pathFor(vlm, res, load.gpu !== null);
    const key = `${choiceKey(models.vlm, models.relevance)}|${load.gpu ? 'webgpu' : 'wasm'}|${path.kind}`;
    const lease = await this.features.lease(
      video,
      key,
      (signal, emit) => {
        emit({
          type: 'progress',
          stage: ENCODING_STAGE.vision,
          done: 0,
          total: video.frames.length,
        });
        return path.encode(onnxRuntime(), vlm, relevance, video.frames, video.info.duration, {
          signal,
          onChunk: (tower, done, total) =>
            emit({ type: 'progress', stage: ENCODING_STAGE[tower], done, total }),
        });
      },
      work,
      () => {
        this.counts.visionEncodes++;
        this.counts.relevanceImageEncodes++;
      },
    );
    return {
      video,
      vlm,
      relevance,
      feats: lease.features,
      path,
      device: res?.ctx.device ?? null,
      encoded: lease.encoded,
      done: lease.done,
    };
  }

  /** A new device (the old one was lost): what was made on the old one is forgotten. */
  private noteDevice(res: DeviceResources | null, work: Work): void {
    const device = res?.ctx.device ?? null;
    if (device === this.lastDevice) return;
    if (this.lastDevice !== undefined) {
      // the open video and the conversation stay; the models load again on the new device
      const loss = this.device.takeLoss();
      if (this.lastDevice !== null && res) work.emit(deviceLostNotice(loss));
      this.models.forget();
      this.features.dropForLostDevice();
    }
    this.lastDevice = device;
  }

  /** The compute path for `vlm`: chosen once per loaded model (so once per device). */
  private pathFor(vlm: LoadedVlm, res: DeviceResources | null, modelsOnGpu: boolean): ComputePath {
    let path = this.paths.get(vlm);
    if (!path) {
      path =
        res && modelsOnGpu && gpuPathFits(vlm)
          ? gpuPath(res.kvtp)
          : cpuPath(res?.kvtp ?? cpuBackend(), rgbaOf);
      this.paths.set(vlm, path);
    }
    return path;
  }
}

/**
 * A shared model load, again when it was another request's that got cancelled (a background
 * preparation the page replaced): only this request's own signal may cancel it.
 */
async function ownLoad<T>(load: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (;;) {
    try {
      return await load();
    } catch (e) {
      if (!isAbort(e) || signal.aborted) throw e;
    }
  }
}

/** The CPU path's pixels: a frame drawn to a canvas and read. */
function rgbaOf(f: BitmapFrame): RgbaFrame {
  const canvas = new OffscreenCanvas(f.bitmap.width, f.bitmap.height);
  const g = canvas.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(f.bitmap, 0, 0);
  const { data } = g.getImageData(0, 0, canvas.width, canvas.height);
  return { t: f.t, width: canvas.width, height: canvas.height, rgba: data };
}
