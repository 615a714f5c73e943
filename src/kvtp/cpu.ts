// The CPU backend: the reference semantics behind the KvtpBackend interface.

import { allocateCpu } from './allocate.ts';
import { gatherCpu, importanceCpu, reduceFramesCpu } from './reduce-cpu.ts';
import { scoresCpu } from './scores.ts';
import type { KvtpBackend } from './types.ts';

export function cpuBackend(): KvtpBackend {
  return {
    name: 'cpu',
    scores: async (input) => scoresCpu(input),
    allocate: async (scores, params) => allocateCpu(scores, params),
    scoreAndAllocate: async (input, params) => {
      const scores = scoresCpu(input);
      return { scores, allocation: allocateCpu(scores, params) };
    },
    importance: async (tokens) => importanceCpu(tokens),
    reduce: async (tokens, params) => gatherCpu(reduceFramesCpu(tokens, params), tokens.dim),
    dispose() {},
  };
}
