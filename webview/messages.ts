// The renderer's side of renderer messaging (extension/vscode/rendererMessaging.ts is the other side): ask for
// an image at full size, open the grid, reveal it in the file explorer. Without messaging (an exported notebook,
// a webview that does not offer it) the zoom shows the embedded thumbnail and the buttons are disabled.

import { safeImageSrc } from './safeUrl';

export interface MessagingContext {
  postMessage?(message: unknown): void;
  onDidReceiveMessage?(listener: (message: unknown) => void): { dispose(): void };
}

interface ImageReply { type: 'image'; id: number; uri?: string; error?: string }

export class HostLink {
  private next = 1;
  private waiting = new Map<number, (reply: ImageReply) => void>();
  private cache = new Map<string, Promise<string | undefined>>();

  constructor(private readonly ctx: MessagingContext) {
    ctx.onDidReceiveMessage?.((m) => {
      const r = m as ImageReply;
      if (r && r.type === 'image' && typeof r.id === 'number') {
        this.waiting.get(r.id)?.(r);
        this.waiting.delete(r.id);
      }
    });
  }

  get available(): boolean {
    return typeof this.ctx.postMessage === 'function' && typeof this.ctx.onDidReceiveMessage === 'function';
  }

  /** The image at `path` as a data URI, or undefined (no messaging, refused, too slow). */
  fullImage(path: string, timeoutMs = 20_000): Promise<string | undefined> {
    if (!this.available || !path) return Promise.resolve(undefined);
    let p = this.cache.get(path);
    if (!p) {
      const id = this.next++;
      p = new Promise<string | undefined>((resolve) => {
        const timer = setTimeout(() => { this.waiting.delete(id); resolve(undefined); }, timeoutMs);
        this.waiting.set(id, (r) => { clearTimeout(timer); resolve(safeImageSrc(r.uri) || undefined); });
        this.ctx.postMessage!({ type: 'image', id, path });
      });
      p.then((uri) => { if (!uri) this.cache.delete(path); });
      this.cache.set(path, p);
      // a notebook full of grids must not keep every full-size picture alive
      if (this.cache.size > 12) this.cache.delete(this.cache.keys().next().value as string);
    }
    return p;
  }

  openGrid(path: string): void {
    this.ctx.postMessage?.({ type: 'openGrid', path });
  }

  revealGrid(path: string): void {
    this.ctx.postMessage?.({ type: 'revealGrid', path });
  }
}
