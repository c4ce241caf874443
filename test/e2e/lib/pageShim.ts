// tsx compiles these tests with esbuild's keepNames, which wraps named functions in a `__name(fn, "name")`
// call. Functions handed to page.evaluate() are sent as source text and run in the page, where no `__name`
// exists; this defines a do-nothing one there so such functions run as written.
export const KEEP_NAMES_SHIM = 'globalThis.__name = globalThis.__name || ((fn) => fn);';
