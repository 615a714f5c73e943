// The accuracy table of `npm run bench:accuracy`: answers scored against the expected word,
// tallied per (reduction method, allocation, keep ratio), printed, and written as JSON, Markdown
// and an SVG chart of accuracy against keep ratio. Pure functions (the runner is accuracy.ts).

export type Allocation = 'uniform' | 'exact' | 'exact-learned' | 'hard';

/** One row of the table (the JSON schema, plus answered/stopped counts). */
export interface AccuracyRow {
  readonly method: string;
  readonly allocation: Allocation;
  readonly keep: number;
  readonly questions: number;
  readonly accuracy: number;
  readonly visual_kept: number;
  readonly visual_total: number;
  /** Prefill FLOPs (whole prompt, estimated) relative to the unpruned prompt's. */
  readonly flops_rel: number;
}

/** One scored answer. */
export interface Outcome {
  readonly method: string;
  readonly allocation: Allocation;
  readonly keep: number;
  /** The question's kind (colour, shape, count, position). */
  readonly kind?: string;
  readonly correct: boolean;
  readonly visualKept: number;
  readonly visualTotal: number;
  readonly prefillFlops: number;
  readonly prefillFlopsUnpruned: number;
}

/** An answer as compared: lower case, no punctuation or surrounding space. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, ' ')
    .trim()
    .replace(/\s+/g, ' ');
}

/** Whether `answer` is the expected word (the demo answers with one word). */
export function isCorrect(answer: string, expected: string): boolean {
  return normalizeAnswer(answer) === normalizeAnswer(expected);
}

/** Rows of the table, ordered by keep ratio (descending), method, then allocation. */
export function tally(outcomes: readonly Outcome[]): AccuracyRow[] {
  const groups = new Map<string, Outcome[]>();
  for (const o of outcomes) {
    const key = JSON.stringify([o.method, o.allocation, o.keep]);
    const list = groups.get(key);
    if (list) list.push(o);
    else groups.set(key, [o]);
  }
  const order: Allocation[] = ['uniform', 'exact', 'exact-learned', 'hard'];
  const rows = [...groups.values()].map((list): AccuracyRow => {
    const first = list[0]!;
    const sum = (f: (o: Outcome) => number) => list.reduce((a, o) => a + f(o), 0);
    return {
      method: first.method,
      allocation: first.allocation,
      keep: first.keep,
      questions: list.length,
      accuracy: sum((o) => (o.correct ? 1 : 0)) / list.length,
      visual_kept: sum((o) => o.visualKept),
      visual_total: sum((o) => o.visualTotal),
      flops_rel: sum((o) => o.prefillFlops) / sum((o) => o.prefillFlopsUnpruned),
    };
  });
  return rows.sort(
    (a, b) =>
      b.keep - a.keep ||
      a.method.localeCompare(b.method) ||
      order.indexOf(a.allocation) - order.indexOf(b.allocation),
  );
}

const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)} %`;

/** Accuracy per question kind for one configuration: `colour 95.0 % (40), count …`. */
export function byKind(
  outcomes: readonly Outcome[],
  pick: (o: Outcome) => boolean,
): { kind: string; questions: number; accuracy: number }[] {
  const groups = new Map<string, { right: number; all: number }>();
  for (const o of outcomes) {
    if (!pick(o) || o.kind === undefined) continue;
    const g = groups.get(o.kind) ?? { right: 0, all: 0 };
    g.all++;
    if (o.correct) g.right++;
    groups.set(o.kind, g);
  }
  return [...groups]
    .map(([kind, g]) => ({ kind, questions: g.all, accuracy: g.right / g.all }))
    .sort((a, b) => a.kind.localeCompare(b.kind));
}

/** One line per kind breakdown: `colour 95.0 % of 40, count 80.0 % of 35`. */
export function kindLine(rows: readonly { kind: string; questions: number; accuracy: number }[]) {
  return rows.map((r) => `${r.kind} ${pct(r.accuracy)} of ${r.questions}`).join(', ');
}

/** The table as fixed-width text for the terminal. */
/**
 * The rows of an earlier table with the configurations run again replaced by their new rows
 * (same method, allocation and keep ratio), in the earlier order; new configurations at the end.
 */
export function mergeRows(
  earlier: readonly AccuracyRow[],
  fresh: readonly AccuracyRow[],
): AccuracyRow[] {
  const key = (r: AccuracyRow) => `${r.method}|${r.allocation}|${r.keep}`;
  const byKey = new Map(fresh.map((r) => [key(r), r]));
  const merged = earlier.map((r) => byKey.get(key(r)) ?? r);
  const seen = new Set(earlier.map(key));
  return [...merged, ...fresh.filter((r) => !seen.has(key(r)))];
}

export function textTable(rows: readonly AccuracyRow[]): string {
  const head = ['method', 'allocation', 'keep', 'questions', 'accuracy', 'kept', 'FLOPs'];
  const body = rows.map((r) => [
    r.method,
    r.allocation,
    r.keep.toFixed(2),
    String(r.questions),
    pct(r.accuracy),
    pct(r.visual_kept / r.visual_total),
    pct(r.flops_rel),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), ...body.map(line)].join('\n');
}

/** For each method and pruned keep ratio: KVTP (and the learned head) against uniform. */
export function comparisons(rows: readonly AccuracyRow[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.allocation !== 'uniform' || r.keep >= 1) continue;
    const find = (a: Allocation) =>
      rows.find((x) => x.method === r.method && x.keep === r.keep && x.allocation === a);
    const parts = (['exact', 'exact-learned'] as const)
      .map((a) => {
        const x = find(a);
        if (!x) return null;
        const d = 100 * (x.accuracy - r.accuracy);
        return `${a} ${pct(x.accuracy)} (${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} points)`;
      })
      .filter((p): p is string => p !== null);
    if (parts.length)
      out.push(`${r.method} at ${r.keep}: uniform ${pct(r.accuracy)} → ${parts.join(', ')}`);
  }
  return out;
}

/** The table as Markdown (for the README). */
export function markdownTable(rows: readonly AccuracyRow[]): string {
  const lines = [
    '| method | allocation | keep | questions | accuracy | vision tokens kept | prefill FLOPs |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.method} | ${r.allocation} | ${r.keep} | ${r.questions} | ${pct(r.accuracy)} | ` +
        `${pct(r.visual_kept / r.visual_total)} | ${pct(r.flops_rel)} |`,
    );
  }
  return lines.join('\n');
}

const COLOURS: Record<Allocation, string> = {
  uniform: '#8a8f98',
  exact: '#1f6feb',
  'exact-learned': '#d97706',
  hard: '#9333ea',
};
const DASHES: Record<string, string> = { random: '', tome: '6 3', prumerge: '2 3', none: '1 0' };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/**
 * Accuracy against keep ratio: one line per (method, allocation), colour by allocation, dash by
 * method; the unpruned accuracy as a horizontal reference line. Self-contained SVG.
 */
export function svgChart(rows: readonly AccuracyRow[], title: string): string {
  const W = 760;
  const H = 420;
  const m = { l: 56, r: 230, t: 40, b: 48 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const pruned = rows.filter((r) => r.keep < 1);
  const ratios = [...new Set(pruned.map((r) => r.keep))].sort((a, b) => a - b);
  const lo = Math.min(...ratios, 0.1);
  const hi = Math.max(...ratios, 0.3);
  const x = (k: number) => m.l + (hi === lo ? pw / 2 : ((k - lo) / (hi - lo)) * pw);
  const y = (a: number) => m.t + (1 - a) * ph;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${m.l}" y="22" font-size="14" font-weight="600">${esc(title)}</text>`,
  ];
  for (let a = 0; a <= 1.0001; a += 0.2) {
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y(a)}" y2="${y(a)}" stroke="#e5e7eb"/>`,
      `<text x="${m.l - 8}" y="${y(a) + 4}" text-anchor="end">${Math.round(a * 100)} %</text>`,
    );
  }
  for (const k of ratios) {
    parts.push(
      `<text x="${x(k)}" y="${m.t + ph + 18}" text-anchor="middle">${k}</text>`,
      `<line x1="${x(k)}" x2="${x(k)}" y1="${m.t + ph}" y2="${m.t + ph + 4}" stroke="#6b7280"/>`,
    );
  }
  parts.push(
    `<text x="${m.l + pw / 2}" y="${H - 10}" text-anchor="middle">keep ratio (share of vision tokens kept)</text>`,
    `<text transform="translate(16 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`,
    `<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#6b7280"/>`,
  );
  const legend: string[] = [];
  const full = rows.find((r) => r.keep >= 1);
  if (full) {
    parts.push(
      `<line x1="${m.l}" x2="${m.l + pw}" y1="${y(full.accuracy)}" y2="${y(full.accuracy)}" stroke="#111827" stroke-dasharray="4 4"/>`,
    );
    legend.push(
      `<line x1="0" x2="24" y1="0" y2="0" stroke="#111827" stroke-dasharray="4 4"/><text x="30" y="4">all tokens (${pct(full.accuracy, 0)})</text>`,
    );
  }
  const series = new Map<string, AccuracyRow[]>();
  for (const r of pruned) {
    const key = `${r.method} · ${r.allocation}`;
    series.set(key, [...(series.get(key) ?? []), r]);
  }
  for (const [name, list] of series) {
    const pts = list.sort((a, b) => a.keep - b.keep);
    const first = pts[0]!;
    const stroke = COLOURS[first.allocation];
    const dash = DASHES[first.method] ?? '';
    const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.keep)} ${y(p.accuracy)}`).join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${stroke}" stroke-width="2" stroke-dasharray="${dash}"/>`,
      ...pts.map((p) => `<circle cx="${x(p.keep)}" cy="${y(p.accuracy)}" r="3" fill="${stroke}"/>`),
    );
    legend.push(
      `<line x1="0" x2="24" y1="0" y2="0" stroke="${stroke}" stroke-width="2" stroke-dasharray="${dash}"/><text x="30" y="4">${esc(name)}</text>`,
    );
  }
  legend.forEach((l, i) =>
    parts.push(`<g transform="translate(${m.l + pw + 16} ${m.t + 8 + i * 20})">${l}</g>`),
  );
  parts.push('</svg>');
  return parts.join('\n');
}
