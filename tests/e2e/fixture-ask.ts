// What the worker-level e2e tests ask with: the fixture packages, the app's default selection
// settings (ToMe, KVTP, a few tokens greedy), and the engine's counters through a session.
import type { AutomationSession } from '../../cli/browser.ts';
import type { EngineCounters } from '../../src/engine/engine.ts';
import type { AskSettings, ModelChoice } from '../../src/engine/types.ts';

export const FIXTURE_MODELS: ModelChoice = { vlm: 'fixture-vlm', relevance: 'fixture-relevance' };

export const FIXTURE_SETTINGS: AskSettings = {
  method: 'tome',
  allocation: 'exact',
  keepRatio: 0.25,
  temperature: 2,
  minPerFrame: 1,
  head: 'logit',
  seed: 0,
  generation: { maxTokens: 6, temperature: 0, topP: 1 },
};

/** The engine's counters (work done, GPU objects made) in `session`'s worker. */
export async function engineCounters(session: AutomationSession): Promise<EngineCounters> {
  const c = await session.request<EngineCounters>('counters', {});
  if (c.error) throw new Error(c.error.message);
  return c.result;
}
