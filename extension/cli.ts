// The headless runner: the same core as the editor, for terminals, scripts, CI and remote GPU boxes.
import { parseArgs, USAGE, UsageError } from './cli/args';
import { runClean } from './cli/clean';
import { runPlan } from './cli/plan';
import { runRun } from './cli/run';
import { runValidate } from './cli/validate';

async function main(argv: string[]): Promise<number> {
  const out = (s: string) => process.stdout.write(s + '\n');
  let args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`lorabias: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help || !args.command) {
    (args.help ? process.stdout : process.stderr).write(USAGE);
    return args.help ? 0 : 2;
  }
  if (args.files.length === 0) {
    process.stderr.write(`lorabias ${args.command}: give a recipe file\n\n${USAGE}`);
    return 2;
  }
  switch (args.command) {
    case 'validate':
      return runValidate(args.files, args.json, out);
    case 'plan':
      if (args.files.length > 1) {
        process.stderr.write('lorabias plan: give one recipe file\n');
        return 2;
      }
      return runPlan(args.files[0], args.cells, args.json, out);
    case 'run':
    case 'clean':
      if (args.files.length > 1) {
        process.stderr.write(`lorabias ${args.command}: give one recipe file\n`);
        return 2;
      }
      if (args.command === 'clean') return runClean(args.files[0], out);
      return runRun({ file: args.files[0], cells: args.cells, force: args.force, json: args.json, python: args.python, device: args.device }, out, (s) => process.stderr.write(s + '\n'));
    default:
      process.stderr.write(`lorabias: unknown command \`${args.command}\`\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
