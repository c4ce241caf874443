// Notebook renderer for `application/vnd.lorabias.output+json` (loaded by VS Code inside the notebook's output
// webview): the preview grid with zoom, swipe and heat map, loss curves, dataset and tag charts, tables and error
// boxes. Full-size images and the grid actions go through renderer messaging (messages.ts); everything else is in
// the output itself, and nothing is loaded from the network.
import type { ActivationFunction } from 'vscode-notebook-renderer';
import { HostLink, type MessagingContext } from './messages';
import { readOutput } from './outputModel';
import { drawOutput } from './outputView';

export const activate: ActivationFunction = (context) => {
  const link = new HostLink((context ?? {}) as MessagingContext);
  return {
    renderOutputItem(item, element) {
      let payload: unknown;
      try {
        payload = item.json();
      } catch (err) {
        drawOutput(element, { title: 'Unreadable output', error: `The output is not valid JSON: ${(err as Error).message}` }, link);
        return;
      }
      try {
        drawOutput(element, readOutput(payload), link);
      } catch (err) {
        // the last resort: say so in the output rather than leave it blank
        drawOutput(element, { title: 'Output', error: `This output could not be drawn: ${(err as Error).message}` }, link);
      }
    },
    disposeOutputItem() {
      // nothing is held per output: the DOM goes with the element
    },
  };
};
