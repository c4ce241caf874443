// Plain-text (markdown) renderings of the reports: the notebook's fallback output and the CLI's text output.
import type { AnalyzeReport } from './analyze';
import { mdCode, mdText } from '../text/markdownEscape';
import type { DatasetReport } from './types';

const pct = (x: number) => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;
// Everything that comes from files (names, captions, tags, messages that quote them) is escaped: see markdownEscape.ts.
const esc = mdText;

/** Counts, buckets, duplicates and up to `maxProblems` problems (most severe first). */
export function datasetMarkdown(r: DatasetReport, maxProblems = 30): string {
  const c = r.counts;
  const out: string[] = [];
  out.push(`**${c.images}** images (${c.imagesPerEpoch} per epoch with repeats) from ${r.sources.map((s) => mdCode(s)).join(', ') || 'nowhere'}; `
    + `${c.captioned} captioned (${c.captionsAsTags} as tags, ${c.captionsAsProse} as prose), ${c.uncaptioned} without; ${c.distinctTags} distinct tags.`);
  const unread = c.files - c.images;
  if (unread > 0) out.push(`${unread} image file${unread > 1 ? 's' : ''} could not be read.`);
  out.push(`Problems: ${c.errors} errors, ${c.warnings} warnings, ${c.infos} notes.`);
  for (const fam of ['sdxl', 'sd15'] as const) {
    const b = r.buckets.filter((x) => x.family === fam);
    if (b.length) out.push(`${fam === 'sdxl' ? 'SDXL' : 'SD1.5'} buckets: ${b.map((x) => `${x.width}×${x.height} ×${x.count}`).join(', ')}`);
  }
  if (r.duplicates.length) {
    out.push('', 'Duplicates:');
    for (const d of r.duplicates.slice(0, 10)) out.push(`- ${d.kind === 'exact' ? 'identical' : `near (distance ${d.distance})`}: ${d.files.map((f) => mdCode(f)).join(', ')}`);
    if (r.duplicates.length > 10) out.push(`- … and ${r.duplicates.length - 10} more groups`);
  }
  if (r.tagger) out.push('', `Tagger ${mdCode(r.tagger.model)} ran on ${r.tagger.provider.toUpperCase()}; ${r.tagger.written.length} caption files written, ${r.tagger.backups.length} backed up.`);
  if (r.problems.length) {
    const rank = { error: 0, warning: 1, info: 2 } as const;
    const sorted = [...r.problems].sort((a, b) => rank[a.severity] - rank[b.severity]);
    out.push('', '| | file | problem |', '|---|---|---|');
    for (const p of sorted.slice(0, maxProblems)) out.push(`| ${p.severity} | ${mdCode(p.file, { inTable: true })} | ${mdText(p.message)} |`);
    if (sorted.length > maxProblems) out.push('', `… and ${sorted.length - maxProblems} more problems.`);
  }
  return out.join('\n');
}

/** The co-occurrence table with flags and advice, and the most frequent tags. */
export function analyzeMarkdown(r: AnalyzeReport): string {
  const out: string[] = [];
  out.push(`**${esc(r.concept)}**: ${r.conceptCount} of ${r.posts} ${r.weighting === 'repeats' ? 'images (counting repeats)' : r.weighting === 'images' ? 'images' : 'posts'} (${pct(r.posts ? r.conceptCount / r.posts : 0)}); ${r.distinctTags} distinct tags.`);
  if (r.cooccurrence.length) {
    out.push('', '| tag | count | P(tag \\| concept) | P(tag) | lift | |', '|---|---:|---:|---:|---:|---|');
    for (const c of r.cooccurrence) out.push(`| ${esc(c.tag)} | ${c.count} | ${pct(c.pGivenConcept)} | ${pct(c.p)} | ${c.lift.toFixed(2)} | ${esc(c.flag ?? '')} |`);
    const advice = r.cooccurrence.filter((c) => c.advice);
    if (advice.length) { out.push(''); for (const c of advice) out.push(`- **${esc(c.flag ?? '')}** ${esc(c.advice ?? '')}`); }
  }
  if (r.frequencies.length) out.push('', `Most frequent: ${r.frequencies.slice(0, 15).map((f) => `${esc(f.tag)} (${f.count})`).join(', ')}`);
  if (r.problemCount) {
    out.push('', `${r.problemCount} problem${r.problemCount > 1 ? 's' : ''}:`);
    for (const p of r.problems.slice(0, 10)) out.push(`- ${esc(p.message)}`);
    if (r.problemCount > 10) out.push(`- … and ${r.problemCount - 10} more`);
  }
  return out.join('\n');
}
