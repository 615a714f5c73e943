// The worker's command handlers: each command of the protocol mapped onto the one engine this
// worker holds. Nothing but the mapping lives here: the engine owns the device, the models, the
// open video and the work.

import { Engine } from '../engine/engine.ts';
import type { Work } from '../engine/types.ts';
import { acquireGpu } from '../gpu/device.ts';
import type { ArgsOf, CommandName, ResultOf } from './protocol.ts';

/** What a handler gets besides its arguments: the engine's Work (signal, events). */
export type HandlerContext = Work;

export type Handler<K extends CommandName> = (
  args: ArgsOf<K>,
  ctx: HandlerContext,
) => Promise<ResultOf<K>>;

/** The handlers of `engine`'s commands. */
export function handlersFor(engine: Engine): { [K in CommandName]: Handler<K> } {
  return {
    capabilities: () => engine.capabilities(),
    open: (args, work) => engine.open(args, work),
    video: async () => engine.openVideo(),
    ask: (args, work) => engine.ask(args, work),
    prepare: (args, work) => engine.prepareFrames(args, work),
    select: (args, work) => engine.select(args, work),
    counters: () => engine.counters(),
    benchKernels: (args, work) => engine.benchKernels(args, work),
    benchPrefill: (args, work) => engine.benchPrefill(args, work),
    listModels: (args) => engine.listModels(args.provider),
    modelCache: (args) => engine.modelCache(args.provider),
    clearModelCache: (args) => engine.clearModelCache(args.package),
  };
}

/** The engine of this worker: the GPU is the worker's navigator.gpu. */
export function workerEngine(): Engine {
  return new Engine({
    acquireGpu: () => acquireGpu(navigator.gpu),
    origin: new URL(import.meta.env.BASE_URL, self.location.origin).href,
  });
}

/** Commands that replace earlier work of the same kind: a new one cancels the running one. */
export const exclusive: ReadonlySet<CommandName> = new Set(['open', 'ask', 'prepare']);
