// The worker's command handlers: one function per command of the protocol. Each receives its
// arguments, an AbortSignal and an `emit` for events, and returns the command's result.

import type { ArgsOf, CommandName, PipelineEvent, ResultOf } from './protocol.ts';
import { capabilities } from '../engine/capabilities.ts';
import { openedVideo, openVideo } from '../engine/video.ts';
import { ask, select, workCounters } from '../engine/question.ts';
import { clearModelCache, listModels, modelCache } from '../engine/model-commands.ts';
import { acquireGpu } from '../gpu/device.ts';
import { gpu } from '../engine/state.ts';
import { onnxRuntime } from '../models/ort.ts';

const benchKernels: Handler<'benchKernels'> = async (args, { signal, emit }) => {
  // loaded on demand: the bench code stays out of the app's first load
  const { benchShape } = await import('../kvtp/bench.ts');
  const ctx = await gpu(() => acquireGpu(navigator.gpu));
  const rows = [];
  for (const [i, shape] of args.shapes.entries()) {
    signal.throwIfAborted();
    emit({ type: 'progress', stage: `bench ${shape.name}`, done: i, total: args.shapes.length });
    rows.push(...(await benchShape(ctx, shape, args.methods, args)));
  }
  return { rows };
};

const benchPrefillHandler: Handler<'benchPrefill'> = async (args, { emit }) => {
  const { benchPrefill } = await import('../vlm/bench-prefill.ts');
  const ctx = await gpu(() => acquireGpu(navigator.gpu));
  return benchPrefill(onnxRuntime(), ctx, args, (stage) =>
    emit({ type: 'progress', stage, done: 0, total: 0 }),
  );
};

export interface HandlerContext {
  readonly signal: AbortSignal;
  emit(event: PipelineEvent, transfer?: Transferable[]): void;
}

export type Handler<K extends CommandName> = (
  args: ArgsOf<K>,
  ctx: HandlerContext,
) => Promise<ResultOf<K>>;

export const handlers: { [K in CommandName]: Handler<K> } = {
  capabilities,
  open: openVideo,
  video: openedVideo,
  ask,
  select,
  counters: workCounters,
  benchKernels,
  benchPrefill: benchPrefillHandler,
  listModels,
  modelCache,
  clearModelCache,
};

/** Commands that replace earlier work of the same kind: a new one cancels the running one. */
export const exclusive: ReadonlySet<CommandName> = new Set(['open', 'ask']);
