import { Argument, Option, type Command } from 'commander';
import { checkOutputPaths, type NamedPath } from '@ncscope/io';

/**
 * Options and arguments that name files carry a role: `inputFile(new Option('--features <file>', …))`,
 * `outputFile(new Option('--html <file>', …))`, `inputFile(new Argument('<logs...>', …))`. The program's preAction
 * hook ({@link checkDeclaredFiles}) collects them for the command about to run and refuses an output that is an
 * input or another output before the action reads anything; outputs are then written with writeFilesAtomic,
 * which creates their parent folders. A command gets both rules by declaring its files this way — nothing else.
 */
export type FileRole = 'input' | 'output';

const ROLES = new WeakMap<Option | Argument, FileRole>();

/** Declares an option or argument whose value(s) the command reads. */
export function inputFile<T extends Option | Argument>(declaration: T): T {
  ROLES.set(declaration, 'input');
  return declaration;
}

/** Declares an option or argument whose value(s) the command writes. */
export function outputFile<T extends Option | Argument>(declaration: T): T {
  ROLES.set(declaration, 'output');
  return declaration;
}

/** The role declared for an option or argument, if any (for the help-drift test). */
export function fileRole(declaration: Option | Argument): FileRole | undefined {
  return ROLES.get(declaration);
}

/** The files `command` is about to read and write, from its declared options and arguments. */
export function declaredFiles(command: Command): { inputs: NamedPath[]; outputs: NamedPath[] } {
  const inputs: NamedPath[] = [];
  const outputs: NamedPath[] = [];
  const add = (role: FileRole | undefined, flag: string, value: unknown) => {
    if (role === undefined || value === undefined) return;
    const list = role === 'input' ? inputs : outputs;
    for (const path of Array.isArray(value) ? value : [value]) if (typeof path === 'string') list.push({ flag, path });
  };
  for (const option of command.options) add(ROLES.get(option), option.long ?? option.flags, command.getOptionValue(option.attributeName()));
  command.registeredArguments.forEach((argument, i) => add(ROLES.get(argument), `<${argument.name()}${argument.variadic ? '...' : ''}>`, command.processedArgs[i]));
  return { inputs, outputs };
}

/** preAction hook: the output rule of @ncscope/io's checkOutputPaths for the command about to run. */
export async function checkDeclaredFiles(_program: Command, actionCommand: Command): Promise<void> {
  const { inputs, outputs } = declaredFiles(actionCommand);
  if (outputs.length > 0) await checkOutputPaths(inputs, outputs);
}
