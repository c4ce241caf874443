// Command-line arguments: `lorabias <command> [options] <files…>`.

export interface Args {
  command: string;
  files: string[];
  json: boolean;
  force: boolean;
  cells: string[];
  help: boolean;
  python?: string;
  device?: string;
}

export class UsageError extends Error {}

export function parseArgs(argv: string[]): Args {
  const args: Args = { command: '', files: [], json: false, force: false, cells: [], help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') args.json = true;
    else if (a === '--force') args.force = true;
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a === '--cell') {
      const v = argv[++i];
      if (!v) throw new UsageError('--cell needs a cell name');
      args.cells.push(v);
    } else if (a.startsWith('--cell=')) args.cells.push(a.slice(7));
    else if (a === '--python' || a === '--device' || a.startsWith('--python=') || a.startsWith('--device=')) {
      const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, argv[++i]];
      if (!inline || inline.startsWith('-')) throw new UsageError(`${flag} needs a value`);
      if (flag === '--device' && !/^(auto|cpu|cuda|cuda:[0-9]+)$/.test(inline)) throw new UsageError(`--device ${inline}: use auto, cpu, cuda or cuda:N`);
      if (flag === '--python') args.python = inline;
      else args.device = inline;
    }
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (!args.command) args.command = a;
    else args.files.push(a);
  }
  return args;
}

export const USAGE = `usage: lorabias <command> [options] <recipe.lorabias>…

commands:
  validate <recipe>…   check recipes; prints file:line:col: severity: message; exit 0 when clean, 1 otherwise
  plan <recipe>        print the cells in run order with what each one needs
  run <recipe>         run the recipe's cells (what is cached is not run again); exit 0 when every cell ran
  clean <recipe>       delete the cached artifacts of a recipe

options:
  --json               machine-readable output
  --cell NAME          (plan, run) only this cell and what it needs; may be repeated
  --force              (run) run the chosen cells again even when cached
  --python PATH        (run) the engine's Python (default: LORABIAS_PYTHON, a .venv nearby, python3)
  --device DEV         (run) auto, cpu, cuda or cuda:N (default: LORABIAS_DEVICE or auto)
  -h, --help           this text
`;
