// A preview's figure tables (pixel leakage, tag leakage…), drawn from their typed data: a caption, a header,
// text cells for names and fixed-decimal number cells. Every value goes in as text (textContent), never markup.
import { type FigureTable, formatFigure } from '../extension/core/preview/previewData';

const kebab = (id: string) => id.replace(/[^A-Za-z0-9]+/g, '-').replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();

export function drawFigureTable(doc: Document, t: FigureTable): HTMLElement {
  const box = doc.createElement('section');
  box.className = 'lb-figures';
  box.dataset.table = t.id;
  const caption = box.appendChild(doc.createElement('div'));
  caption.className = 'lb-section';
  caption.textContent = t.caption;
  const table = box.appendChild(doc.createElement('table'));
  table.className = `lb-${kebab(t.id) || 'figures'}`;
  const head = table.createTHead().insertRow();
  for (const c of t.columns) head.appendChild(doc.createElement('th')).textContent = c.label;
  const body = table.createTBody();
  for (const row of t.rows) {
    const tr = body.insertRow();
    t.columns.forEach((c, i) => {
      const td = tr.insertCell();
      td.textContent = formatFigure(row[i] ?? null, c);
      if (c.digits !== undefined) td.className = 'num';
    });
  }
  return box;
}
