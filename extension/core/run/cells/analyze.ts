// `analyze` cell: which tags travel with the concept, in a dataset cell's captions or a large tag-list file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { analyzeMarkdown, analyzeTags } from '../../dataset';
import type { DatasetReport } from '../../dataset';
import { CellHandler } from './context';

export const runAnalyze: CellHandler = async (ctx) => {
  const b = ctx.cell.body;
  const concepts = Array.isArray(b.concept) ? (b.concept as string[]) : [String(b.concept)];
  let source: { report: DatasetReport } | { tagFile: string };
  if (b.dataset) {
    const u = ctx.upstream(String(b.dataset));
    source = { report: JSON.parse(fs.readFileSync(path.resolve(u.dir, u.manifest.files.report), 'utf8')) };
  } else {
    source = { tagFile: path.resolve(ctx.recipeDir, String(b.tags)) };
  }
  const r = await analyzeTags(source, concepts, { top: b.top as number | undefined, minCount: b.min_count as number | undefined, signal: ctx.signal });
  fs.writeFileSync(path.join(ctx.outDir, 'analysis.json'), JSON.stringify(r));
  return {
    files: { analysis: 'analysis.json' },
    figures: {
      concept: r.concept, conceptCount: r.conceptCount, posts: r.posts,
      cooccurrence: r.cooccurrence.map((c) => ({ tag: c.tag, count: c.count, pGivenConcept: c.pGivenConcept, p: c.p, lift: c.lift, ...(c.flag ? { flag: c.flag } : {}) })),
      problems: r.problemCount,
    },
    display: { title: `analyze ${r.concept}`, markdown: analyzeMarkdown(r), data: { type: 'analyze', report: r } },
  };
};
