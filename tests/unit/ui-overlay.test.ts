// Cell states of the kept-token overlay, from what the pipeline reported.
import { describe, expect, it } from 'vitest';
import { cellStates, groupHue } from '../../src/ui/overlay.ts';

const frame = (indices: number[], groups: number[][], tokens = 6) => ({
  t: 0,
  score: 0,
  keep: indices.length,
  tokens,
  indices,
  groups,
});

describe('cellStates', () => {
  it('random / none: kept cells are kept, all others dropped', () => {
    const s = cellStates(frame([1, 4], [[1], [4]]));
    expect(s.map((c) => c.kind)).toEqual([
      'dropped',
      'kept',
      'dropped',
      'dropped',
      'kept',
      'dropped',
    ]);
  });

  it('ToMe: every cell belongs to a group; non-representatives are merged into theirs', () => {
    const s = cellStates(
      frame(
        [0, 2],
        [
          [0, 1, 5],
          [2, 3, 4],
        ],
      ),
    );
    expect(s).toEqual([
      { kind: 'kept', group: 0 },
      { kind: 'merged', group: 0 },
      { kind: 'kept', group: 1 },
      { kind: 'merged', group: 1 },
      { kind: 'merged', group: 1 },
      { kind: 'merged', group: 0 },
    ]);
  });

  it('PruMerge: overlapping groups — a cell is drawn in the first group holding it; kept wins', () => {
    const s = cellStates(
      frame(
        [1, 3],
        [
          [0, 1, 3],
          [1, 2, 3],
        ],
      ),
    );
    expect(s).toEqual([
      { kind: 'merged', group: 0 },
      { kind: 'kept', group: 0 },
      { kind: 'merged', group: 1 },
      { kind: 'kept', group: 1 },
      { kind: 'dropped' },
      { kind: 'dropped' },
    ]);
  });

  it('gives neighbouring groups distinct hues', () => {
    const hues = Array.from({ length: 64 }, (_, g) => Math.round(groupHue(g)));
    for (let g = 1; g < hues.length; g++) expect(hues[g]).not.toBe(hues[g - 1]);
  });
});
