// The only picture sources the renderer puts in the DOM: base64 data URIs of raster images (PNG, WebP, JPEG, GIF),
// which is what the extension host sends (embedded thumbnails, full-size pictures through renderer messaging).
// Anything else — a `javascript:` or remote URL, SVG (which can carry script), a file path — is refused.
const DATA_IMAGE = /^data:image\/(?:png|webp|jpeg|gif);base64,[A-Za-z0-9+/]*={0,2}$/;

/** `value` when it is an acceptable picture source, else ''. */
export function safeImageSrc(value: unknown): string {
  return typeof value === 'string' && DATA_IMAGE.test(value) ? value : '';
}
