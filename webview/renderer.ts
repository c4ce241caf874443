// Notebook renderer for `application/vnd.lorabias.output+json` (loaded by VS Code inside the notebook's
// output webview). Later issues add image grids and loss curves; today it draws title, text, table, error.
import type { ActivationFunction } from 'vscode-notebook-renderer';
import { readOutput } from './outputModel';
import { drawOutput } from './outputView';

export const activate: ActivationFunction = () => ({
  renderOutputItem(item, element) {
    let payload: unknown;
    try {
      payload = item.json();
    } catch (err) {
      drawOutput(element, { title: 'Unreadable output', error: `The output is not valid JSON: ${(err as Error).message}` });
      return;
    }
    drawOutput(element, readOutput(payload));
  },
  disposeOutputItem() {
    // nothing is held per output: the DOM goes with the element
  },
});
