// Command-line arguments: `lorabias <command> [options] <files…>`.

export interface Args {
  command: string;
  files: string[];
  json: boolean;
  force: boolean;
  cells: string[];
  help: boolean;
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

options:
  --json               machine-readable output
  --cell NAME          (plan) only this cell and what it needs; may be repeated
  -h, --help           this text
`;
