// The renderer's style sheet, coloured by the workbench theme's --vscode-* variables. Attached as a constructed
// style sheet (adoptedStyleSheets), which a strict Content Security Policy allows without 'unsafe-inline'; a
// <style> element only where constructed sheets are missing.
const CSS = `
.lorabias-output { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 4px 0; }
.lorabias-output h3 { margin: 0 0 6px; font-size: 1.1em; font-weight: 600; }
.lorabias-output h4 { margin: 8px 0 4px; font-size: 1em; font-weight: 600; }
.lorabias-output p { margin: 0 0 8px; white-space: pre-wrap; }
.lorabias-output ul { margin: 0 0 8px; padding-left: 20px; }
.lorabias-output code { font-family: var(--vscode-editor-font-family, monospace); background: var(--vscode-textCodeBlock-background, rgba(128,128,128,.15)); padding: 0 3px; border-radius: 3px; }
.lorabias-output table { border-collapse: collapse; margin: 0 0 8px; }
.lorabias-output th, .lorabias-output td { border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); padding: 2px 8px; text-align: left; }
.lorabias-output th { background: var(--vscode-editorWidget-background, transparent); font-weight: 600; }
.lorabias-output td.num { text-align: right; font-variant-numeric: tabular-nums; }
.lorabias-output .empty { opacity: .7; font-style: italic; }
.lorabias-output .error { border-left: 3px solid var(--vscode-errorForeground, #f14c4c); background: var(--vscode-inputValidation-errorBackground, rgba(241,76,76,.1)); color: var(--vscode-errorForeground, #f14c4c); padding: 6px 10px; margin: 0 0 8px; white-space: pre-wrap; }
.lorabias-output .lb-section { margin: 10px 0 4px; font-weight: 600; }

.lb-toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 0 0 6px; }
.lb-hint { color: var(--vscode-descriptionForeground, inherit); opacity: .9; font-size: .9em; }
.lb-button { font: inherit; border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 2px 10px; cursor: pointer;
  color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #0e639c); }
.lb-button:hover:not(:disabled) { background: var(--vscode-button-hoverBackground, #1177bb); }
.lb-button.secondary { color: var(--vscode-button-secondaryForeground, inherit); background: var(--vscode-button-secondaryBackground, rgba(128,128,128,.2)); }
.lb-button.secondary:hover:not(:disabled) { background: var(--vscode-button-secondaryHoverBackground, rgba(128,128,128,.3)); }
.lb-button[aria-pressed=true] { outline: 1px solid var(--vscode-focusBorder, #007fd4); }
.lb-button:disabled { opacity: .5; cursor: default; }
.lb-button:focus-visible, .lb-tile:focus-visible, .lb-range:focus-visible { outline: 2px solid var(--vscode-focusBorder, #007fd4); outline-offset: 1px; }

.lorabias-output table.lb-grid { border-collapse: separate; border-spacing: 3px; }
/* the notebook webview stripes table rows and shades headers: not in the grid */
.lorabias-output table.lb-grid thead, .lorabias-output table.lb-grid tbody, .lorabias-output table.lb-grid tr, .lorabias-output table.lb-grid th, .lorabias-output table.lb-grid td { border: none; padding: 0; background: transparent; }
.lorabias-output table.lb-grid th.lb-col { text-align: center; font-weight: 600; max-width: 136px; padding: 0 2px 2px; vertical-align: bottom; }
.lb-col-sub { font-weight: normal; color: var(--vscode-descriptionForeground, inherit); font-size: .85em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 136px; }
.lorabias-output table.lb-grid th.lb-row { text-align: right; padding-right: 6px; white-space: nowrap; font-variant-numeric: tabular-nums; }
.lb-grid th.lb-row.lb-base { color: var(--vscode-descriptionForeground, inherit); }
.lb-tile { cursor: zoom-in; line-height: 0; outline-offset: -2px; }
.lb-tile img { width: 128px; height: 128px; object-fit: contain; image-rendering: pixelated; display: block; border: 2px solid transparent; background: var(--vscode-editorWidget-background, transparent); }
.lb-tile.selected img { border-color: var(--vscode-focusBorder, #007fd4); }
.lb-missing { display: inline-block; width: 128px; line-height: 128px; text-align: center; font-size: .85em; opacity: .7; border: 1px dashed var(--vscode-panel-border, rgba(128,128,128,.5)); }

.lb-viewer { margin: 8px 0; padding: 6px; border: 1px solid var(--vscode-panel-border, rgba(128,128,128,.35)); background: var(--vscode-editorWidget-background, transparent); }
.lb-viewer-bar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-bottom: 6px; }
.lb-viewer-title { font-weight: 600; margin-right: auto; }
.lb-stage { max-height: 80vh; overflow: auto; }
.lb-full { display: block; max-width: none; image-rendering: pixelated; }
.lb-viewer-note { margin-top: 4px; color: var(--vscode-descriptionForeground, inherit); font-size: .9em; }
.lb-swipe { position: relative; display: inline-block; width: 384px; max-width: 100%; line-height: 0; touch-action: none; cursor: ew-resize; user-select: none; }
.lb-swipe img { width: 100%; display: block; image-rendering: pixelated; }
.lb-swipe img.lb-after { position: absolute; left: 0; top: 0; }
.lb-swipe-line { position: absolute; top: 0; bottom: 0; width: 2px; margin-left: -1px; background: var(--vscode-focusBorder, #007fd4); pointer-events: none; }
.lb-tag { position: absolute; top: 4px; padding: 1px 5px; font-size: 12px; line-height: 16px; background: var(--vscode-editorWidget-background, rgba(0,0,0,.6)); color: var(--vscode-foreground, #fff); pointer-events: none; }
.lb-tag.left { left: 4px; } .lb-tag.right { right: 4px; }
.lb-range { display: block; width: 384px; max-width: 100%; margin-top: 4px; accent-color: var(--vscode-focusBorder, #007fd4); }
.lb-heat { width: 384px; max-width: 100%; image-rendering: pixelated; display: block; }
.lb-heat-legend { display: flex; gap: 8px; align-items: center; margin-top: 4px; font-size: .9em; }
.lb-heat-scale { display: inline-block; width: 120px; height: 10px; background: linear-gradient(to right, #000004, #51127c, #b73779, #fc8961, #fcfdbf); }

.lb-loss { margin: 4px 0 8px; }
.lb-chart { display: block; max-width: 100%; height: auto; }
.lb-chart .lb-gridline { stroke: var(--vscode-panel-border, rgba(128,128,128,.35)); stroke-width: 1; }
.lb-chart .lb-axis { fill: var(--vscode-descriptionForeground, currentColor); font-size: 11px; font-family: var(--vscode-font-family); }
.lb-chart .lb-raw { fill: none; stroke: var(--vscode-charts-blue, #3794ff); stroke-opacity: .35; stroke-width: 1; }
.lb-chart .lb-smooth { fill: none; stroke: var(--vscode-charts-blue, #3794ff); stroke-width: 2; }
.lb-legend, .lb-progress-text { font-size: .9em; color: var(--vscode-descriptionForeground, inherit); margin: 2px 0; }
.lb-progress { height: 4px; width: 100%; max-width: 560px; background: var(--vscode-editorWidget-background, rgba(128,128,128,.2)); overflow: hidden; }
.lb-progress > div { height: 100%; background: var(--vscode-progressBar-background, #0e70c0); }
.lb-progress.indeterminate { background: var(--vscode-progressBar-background, #0e70c0); opacity: .4; }

figure.lb-bars { margin: 6px 0 10px; max-width: 640px; }
.lb-bars figcaption { font-weight: 600; margin-bottom: 4px; }
.lb-bar-row { display: grid; grid-template-columns: minmax(80px, 180px) 1fr auto; gap: 8px; align-items: center; margin: 1px 0; }
.lb-bar-label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; text-align: right; }
.lb-bar-track { position: relative; height: 12px; background: var(--vscode-editorWidget-background, rgba(128,128,128,.12)); }
.lb-bar-fill { position: absolute; left: 0; top: 0; bottom: 0; background: var(--vscode-charts-blue, #3794ff); }
.flag-watch .lb-bar-fill { background: var(--vscode-charts-yellow, #cca700); }
.flag-leak .lb-bar-fill { background: var(--vscode-charts-red, #f14c4c); }
.lb-bar-marker { position: absolute; top: -2px; bottom: -2px; width: 2px; margin-left: -1px; background: var(--vscode-foreground, #ccc); }
.lb-bar-note { font-variant-numeric: tabular-nums; font-size: .9em; white-space: nowrap; }
.flag-leak .lb-bar-note { color: var(--vscode-errorForeground, #f14c4c); }
.lb-thumbs { display: flex; flex-wrap: wrap; gap: 4px; margin: 4px 0 8px; }
.lb-thumbs img { width: 72px; height: 72px; object-fit: cover; image-rendering: pixelated; background: var(--vscode-editorWidget-background, transparent); }
`;

const FALLBACK_ID = 'lorabias-output-style';
let sheet: CSSStyleSheet | undefined;

/** Makes the style sheet apply in whichever root (the document or a shadow root) holds `host`. */
export function ensureStyle(host: HTMLElement): void {
  const root = host.getRootNode() as Document | ShadowRoot;
  const doc = host.ownerDocument;
  const win = doc.defaultView as (Window & typeof globalThis) | null;
  if (win && 'adoptedStyleSheets' in root && typeof win.CSSStyleSheet === 'function' && 'replaceSync' in win.CSSStyleSheet.prototype) {
    try {
      if (!sheet) {
        sheet = new win.CSSStyleSheet();
        sheet.replaceSync(CSS);
      }
      if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
      return;
    } catch {
      // a sheet from another document cannot be adopted: fall back to a <style> element
    }
  }
  const holder = 'head' in root && root.head ? root.head : root;
  if ((holder as ParentNode).querySelector?.(`#${FALLBACK_ID}`)) return;
  const style = doc.createElement('style');
  style.id = FALLBACK_ID;
  style.textContent = CSS;
  holder.appendChild(style);
}
