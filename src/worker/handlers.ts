// The worker's command handlers: one function per command of the protocol. Each receives its
// arguments, an AbortSignal and an `emit` for events, and returns the command's result.

import type { ArgsOf, CommandName, PipelineEvent, ResultOf } from './protocol.ts';
import { capabilities } from './capabilities.ts';
import { openVideo } from './open-video.ts';

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
};

/** Commands that replace earlier work of the same kind: a new one cancels the running one. */
export const exclusive: ReadonlySet<CommandName> = new Set(['open']);
