// The accuracy bench's scoring and report: answers compared as words, rows tallied per
// configuration with kept tokens and FLOPs summed, KVTP compared with uniform, Markdown and SVG,
// and a re-run of some configurations merged into an earlier table.
import { describe, expect, it } from 'vitest';
import {
  comparisons,
  isCorrect,
  markdownTable,
  mergeRows,
  normalizeAnswer,
  svgChart,
  tally,
  textTable,
  type Outcome,
} from '../../bench/accuracy-report.ts';

const o = (
  method: string,
  allocation: Outcome['allocation'],
  keep: number,
  correct: boolean,
  kept: number,
): Outcome => ({
  method,
  allocation,
  keep,
  correct,
  visualKept: kept,
  visualTotal: 2048,
  prefillFlops: 100 + kept,
  prefillFlopsUnpruned: 2148,
});

const outcomes: Outcome[] = [
  o('none', 'uniform', 1, true, 2048),
  o('none', 'uniform', 1, true, 2048),
  o('tome', 'uniform', 0.2, false, 410),
  o('tome', 'uniform', 0.2, true, 410),
  o('tome', 'exact', 0.2, true, 410),
  o('tome', 'exact', 0.2, true, 410),
  o('tome', 'exact-learned', 0.2, true, 410),
  o('tome', 'exact-learned', 0.2, false, 410),
  o('none', 'hard', 0.2, false, 384),
  o('none', 'hard', 0.2, false, 448),
];

describe('answers', () => {
  it('compare as lower-case words without punctuation or space', () => {
    expect(normalizeAnswer('  Red.\n')).toBe('red');
    expect(isCorrect(' purple', 'purple')).toBe(true);
    expect(isCorrect('Two!', 'two')).toBe(true);
    expect(isCorrect('purple triangle', 'purple')).toBe(false);
    expect(isCorrect('', 'red')).toBe(false);
  });
});

describe('tally', () => {
  const rows = tally(outcomes);

  it('gives one row per configuration, keep ratio descending, uniform first', () => {
    expect(rows.map((r) => [r.method, r.allocation, r.keep])).toEqual([
      ['none', 'uniform', 1],
      ['none', 'hard', 0.2],
      ['tome', 'uniform', 0.2],
      ['tome', 'exact', 0.2],
      ['tome', 'exact-learned', 0.2],
    ]);
  });

  it('counts accuracy, kept tokens and FLOPs over the questions', () => {
    const hard = rows.find((r) => r.allocation === 'hard')!;
    expect(hard).toMatchObject({ questions: 2, accuracy: 0, visual_kept: 832, visual_total: 4096 });
    expect(hard.flops_rel).toBeCloseTo((200 + 832) / (2 * 2148), 12);
    expect(rows[0]!.accuracy).toBe(1);
    expect(rows.find((r) => r.allocation === 'exact')!.accuracy).toBe(1);
    expect(rows.find((r) => r.allocation === 'uniform' && r.keep < 1)!.accuracy).toBe(0.5);
  });

  it('compares KVTP and the learned head with uniform for each method and ratio', () => {
    expect(comparisons(rows)).toEqual([
      'tome at 0.2: uniform 50.0 % → exact 100.0 % (+50.0 points), exact-learned 50.0 % (+0.0 points)',
    ]);
  });

  it('prints, and writes Markdown and a self-contained SVG chart', () => {
    const text = textTable(rows).split('\n');
    expect(text).toHaveLength(6);
    expect(text[0]).toMatch(/^method +allocation +keep +questions +accuracy +kept +FLOPs$/);
    const md = markdownTable(rows).split('\n');
    expect(md).toHaveLength(7);
    expect(md[4]).toBe('| tome | uniform | 0.2 | 2 | 50.0 % | 20.0 % | 23.7 % |');
    const svg = svgChart(rows, 'Demo <accuracy>');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain('Demo &lt;accuracy>');
    expect(svg).toContain('tome · exact-learned');
    expect(svg).toContain('all tokens (100 %)');
    expect(svg.match(/<path /g)).toHaveLength(4); // hard, and tome × three allocations
  });
});

describe('merging a re-run into an earlier table', () => {
  it('replaces the configurations run again, keeps the rest in order, appends new ones', () => {
    const earlier = tally([
      o('none', 'uniform', 1, true, 2048),
      o('tome', 'uniform', 0.2, false, 410),
      o('random', 'exact', 0.2, true, 410),
      o('tome', 'exact', 0.2, false, 410),
    ]);
    const fresh = tally([
      o('tome', 'exact', 0.2, true, 410),
      o('tome', 'uniform', 0.2, true, 410),
      o('tome', 'exact', 0.1, true, 205),
    ]);
    const merged = mergeRows(earlier, fresh);
    expect(earlier.map((r) => r.method)).toEqual(['none', 'random', 'tome', 'tome']);
    expect(merged.map((r) => `${r.method} ${r.allocation} ${r.keep} ${r.accuracy}`)).toEqual([
      'none uniform 1 1',
      'random exact 0.2 1',
      'tome uniform 0.2 1',
      'tome exact 0.2 1',
      'tome exact 0.1 1',
    ]);
    expect(mergeRows(earlier, [])).toEqual(earlier);
  });
});
