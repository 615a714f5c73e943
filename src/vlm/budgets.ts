// What each allocation mode promises about the tokens a selection keeps, checked on every
// selection (a mismatch is a bug, reported loudly rather than answered around):
//   every mode   each frame keeps exactly its budget k_i;
//   exact, hard  Σ k_i = round(ρ·L·N);
//   uniform      Σ k_i = L·round(ρ·N);
//   paper        Σ k_i = Σ floor(N·min(r_i, 1)) ≤ round(ρ·L·N) (overflow above 1 is lost); with
//                ToMe, whose frames keep N − floor(N·(1 − r_i)) (at most one token more each),
//                Σ k_i ≤ round(ρ·L·N) + L.
// `none` keeps every token whatever the budgets.

import { totalBudget } from '../kvtp/allocate.ts';
import type { AllocationMode, ReductionMethod } from '../kvtp/types.ts';
import { vlmError } from './errors.ts';

/** The total `choice` promises for L frames of N tokens at keep ratio ρ (paper: an upper bound). */
export function promisedTotal(choice: AllocationMode, L: number, N: number, rho: number): number {
  if (choice === 'uniform') return L * Math.round(rho * N);
  return totalBudget(L, N, rho);
}

/** Throws a `broken-promise` error unless `kept` honours `budgets` and the mode's total. */
export function checkPromise(
  choice: AllocationMode,
  shape: { frames: number; tokens: number; keepRatio: number; method?: ReductionMethod },
  budgets: readonly number[],
  kept: readonly number[],
): void {
  const f = kept.findIndex((k, i) => k !== budgets[i]);
  if (f >= 0) {
    throw vlmError(
      'broken-promise',
      `frame ${f} kept ${kept[f]} tokens, its budget is ${budgets[f]}`,
    );
  }
  const total = kept.reduce((a, b) => a + b, 0);
  const promised =
    promisedTotal(choice, shape.frames, shape.tokens, shape.keepRatio) +
    (choice === 'paper' && shape.method === 'tome' ? shape.frames : 0);
  const ok = choice === 'paper' ? total <= promised : total === promised;
  if (!ok) {
    throw vlmError(
      'broken-promise',
      `the ${choice} allocation kept ${total} tokens, it promises ${choice === 'paper' ? 'at most ' : ''}${promised}`,
    );
  }
}
