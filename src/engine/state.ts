// The worker's long-lived state: the GPU context (acquired once, again after a loss) and the open
// video's sampled frames. Only the worker imports this.

import type { GpuContext } from '../gpu/device.ts';
import type { GpuError } from '../gpu/errors.ts';
import type { SampledVideo } from '../video/index.ts';

let gpuContext: Promise<GpuContext> | null = null;
let lastLoss: GpuError | null = null;

/** The shared GPU context, acquired on first use with `acquire`; acquired again after a loss. */
export function gpu(acquire: () => Promise<GpuContext>): Promise<GpuContext> {
  if (!gpuContext) {
    const pending = acquire();
    gpuContext = pending;
    pending.then(
      (ctx) =>
        void ctx.lost.then((e) => {
          lastLoss = e;
          if (gpuContext === pending) gpuContext = null;
        }),
      () => {
        if (gpuContext === pending) gpuContext = null;
      },
    );
  }
  return gpuContext;
}

/** Why the last device was lost, once (null when none was lost since the last call). */
export function takeLoss(): GpuError | null {
  const e = lastLoss;
  lastLoss = null;
  return e;
}

let openVideoState: SampledVideo | null = null;

/** The open video, if any. */
export function currentVideo(): SampledVideo | null {
  return openVideoState;
}

/** Replace the open video, releasing the old one's frames. */
export function setCurrentVideo(video: SampledVideo | null): void {
  if (openVideoState && openVideoState !== video) {
    for (const f of openVideoState.frames) f.bitmap.close();
  }
  openVideoState = video;
}
