// What this browser offers the pipeline (asked of the worker once, at start): WebGPU and which
// adapter, shader-f16, WebCodecs. The page uses it to say plainly what works and what does not
// before anyone drops a video; it never blocks the page.

import { create } from 'zustand';
import type { ErrorInfo } from '../core/errors.ts';
import type { Capabilities } from '../worker/protocol.ts';
import { pipeline } from './pipeline.ts';

export interface EnvState {
  /** null until the worker answered. */
  readonly capabilities: Capabilities | null;
  /** The worker could not be asked at all (it failed to start). */
  readonly error: ErrorInfo | null;
  check(): Promise<void>;
}

export const useEnvStore = create<EnvState>()((set) => ({
  capabilities: null,
  error: null,
  async check() {
    try {
      set({ capabilities: await pipeline().request('capabilities', {}), error: null });
    } catch (e) {
      const info = e as Partial<ErrorInfo>;
      set({
        error: {
          code: typeof info.code === 'string' ? info.code : 'worker-crashed',
          message:
            typeof info.message === 'string'
              ? info.message
              : 'The pipeline worker did not start in this browser.',
        },
      });
    }
  },
}));

/** What the page should tell the user about this browser, most serious first. */
export type EnvNotice =
  | { readonly kind: 'no-webcodecs' }
  | { readonly kind: 'no-webgpu'; readonly reason: ErrorInfo | null }
  | { readonly kind: 'worker'; readonly reason: ErrorInfo };

export function envNotices(s: Pick<EnvState, 'capabilities' | 'error'>): EnvNotice[] {
  if (s.error) return [{ kind: 'worker', reason: s.error }];
  const c = s.capabilities;
  if (!c) return [];
  const out: EnvNotice[] = [];
  if (!c.webcodecs) out.push({ kind: 'no-webcodecs' });
  if (c.gpuError) out.push({ kind: 'no-webgpu', reason: c.gpuError });
  return out;
}
