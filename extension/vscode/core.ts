// The recipe core (YAML parser, schema, validator) is loaded on first use, not at activation: it pulls in
// `yaml` and `ajv`, and a window that never opens a recipe should not pay for them. esbuild turns this
// dynamic import into a lazily initialised part of the same bundle.
export type RecipeCore = typeof import('../core/recipe/index.js');

let loading: Promise<RecipeCore> | undefined;

export function loadCore(): Promise<RecipeCore> {
  loading ??= import('../core/recipe/index.js');
  return loading;
}
