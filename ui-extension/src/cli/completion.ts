import type { Command, Option } from 'commander';
import type { Namespace } from '@common/jobs';
import type { DdlInputDto } from '@common/inventory';
import type { Context } from './context';
import { CliError, EXIT } from './exit-codes';
import { OUTPUT_FORMATS, writeLine } from './output';

/** The hidden command both scripts call with the words typed after `rex` (the last one partial). */
export const COMPLETE_COMMAND = '__complete';

export function bashScript(): string {
  return `# rex bash completion: eval "$(rex completion bash)" (e.g. in ~/.bashrc)
_rex_complete() {
  local IFS=$'\\n'
  local words=("\${COMP_WORDS[@]:1:COMP_CWORD}")
  COMPREPLY=($(rex ${COMPLETE_COMMAND} -- "\${words[@]}" 2>/dev/null))
  if [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == *= ]]; then compopt -o nospace 2>/dev/null; fi
}
complete -o default -F _rex_complete rex
`;
}

export function zshScript(): string {
  return `#compdef rex
# rex zsh completion: eval "$(rex completion zsh)" (e.g. in ~/.zshrc, after compinit)
_rex() {
  local -a candidates
  candidates=("\${(@f)$(rex ${COMPLETE_COMMAND} -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=(\${candidates:#})
  compadd -S '' -- \${(M)candidates:#*=}
  compadd -- \${candidates:#*=}
}
compdef _rex rex
`;
}

export function fishScript(): string {
  return `# rex fish completion: rex completion fish | source (e.g. in ~/.config/fish/config.fish),
# or: rex completion fish > ~/.config/fish/completions/rex.fish
function __rex_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l candidates (rex ${COMPLETE_COMMAND} -- $words[2..-1] 2>/dev/null)
    if test (count $candidates) -gt 0
        printf '%s\\n' $candidates
    else
        # Nothing from rex (a file argument such as inventory import's): paths, as bash's -o default.
        __fish_complete_path (commandline -ct)
    end
end
complete -c rex -f -a '(__rex_complete)'
`;
}

/** The completion scripts by shell. */
export const COMPLETION_SCRIPTS: Readonly<Record<string, () => string>> = { bash: bashScript, zsh: zshScript, fish: fishScript };

function visible(cmd: Command): Command[] {
  return cmd.commands.filter((c) => c.name() !== COMPLETE_COMMAND && !(c as unknown as { _hidden?: boolean })._hidden);
}

function findOption(cmd: Command | null, flag: string): Option | undefined {
  for (let c = cmd; c; c = c.parent) {
    const found = c.options.find((o) => o.long === flag || o.short === flag);
    if (found) return found;
  }
  return undefined;
}

const CONNECTION_OPTIONS = ['--url', '--user', '--token', '--config'];

const startsWith = (prefix: string) => (value: string) => value.startsWith(prefix);

/**
 * Candidates for the last of `words`: commands, options, and from the API the namespaces, actions,
 * input names, hostgroups, hosts and fact names. The API is asked only when the position needs it,
 * and a failing API gives no candidates rather than an error in the middle of the prompt.
 */
export async function complete(program: Command, ctx: Context, words: string[]): Promise<string[]> {
  const current = words.length > 0 ? words[words.length - 1] : '';
  const before = words.slice(0, -1);
  let cmd: Command = program;
  const positionals: string[] = [];
  let pendingOption: Option | undefined;
  for (const word of before) {
    if (pendingOption) {
      // `rex --url X --token Y job run <TAB>` completes from that server (never a password prompt).
      if (CONNECTION_OPTIONS.includes(pendingOption.long ?? '')) program.setOptionValue(pendingOption.attributeName(), word);
      pendingOption = undefined;
      continue;
    }
    if (word.startsWith('-')) {
      const option = findOption(cmd, word.split('=')[0]);
      if (option && (option.required || option.optional) && !word.includes('=')) pendingOption = option;
      continue;
    }
    const sub = positionals.length === 0 ? cmd.commands.find((c) => c.name() === word || c.aliases().includes(word)) : undefined;
    if (sub) cmd = sub;
    else positionals.push(word);
  }

  const api = async () => ctx.api(cmd);
  const hostgroups = async () => (await (await api()).get<{ results: Array<{ title: string }> }>('/hostgroups', { per_page: 1000 })).results.map((g) => g.title);
  const hosts = async (prefix: string) => (await (await api()).get<{ results: Array<{ name: string }> }>('/hosts', { search: prefix === '' ? '' : `name ~ ${prefix}`, per_page: 100 })).results.map((h) => h.name);
  const factNames = async (prefix: string) => (await (await api()).get<{ results: Array<{ name: string }> }>('/fact_names', { search: prefix, per_page: 1000 })).results.map((f) => f.name);
  const namespaces = async () => (await (await api()).get<{ results: Namespace[] }>('/remote_execution/namespaces')).results;

  const path = [];
  for (let c: Command | null = cmd; c && c !== program; c = c.parent) path.unshift(c.name());
  const where = path.join(' ');

  try {
    if (pendingOption) {
      const flag = pendingOption.long;
      if (flag === '--hostgroup') return (await hostgroups()).filter(startsWith(current));
      if (flag === '--hosts') {
        const done = current.includes(',') ? current.slice(0, current.lastIndexOf(',') + 1) : '';
        return (await hosts(current.slice(done.length))).map((h) => `${done}${h}`).filter(startsWith(current));
      }
      if (flag === '--search') {
        // A fact in a search is written facts.<name>; the rest of a search is free text.
        const match = /^(.*\bfacts\.)([^\s]*)$/.exec(current);
        if (match) return (await factNames(match[2])).filter(startsWith(match[2])).map((n) => `${match[1]}${n}`);
        return ['hostgroup = ', 'name ~ ', 'facts.'].map((k) => `${current}${k}`).filter(() => current === '');
      }
      if (flag === '--output') return OUTPUT_FORMATS.filter(startsWith(current));
      if (flag === '--tz') return Intl.supportedValuesOf('timeZone').filter(startsWith(current));
      return [];
    }
    if (current.startsWith('-')) {
      const flags: string[] = [];
      for (let c: Command | null = cmd; c; c = c.parent) for (const o of c.options) if (o.long && !o.hidden) flags.push(o.long);
      return flags.filter(startsWith(current));
    }
    if (visible(cmd).length > 0 && positionals.length === 0) return visible(cmd).map((c) => c.name()).filter(startsWith(current));

    if (where === 'job run' || where === 'schedule create') {
      if (positionals.length === 0) return (await namespaces()).map((n) => n.name).filter(startsWith(current));
      const ns = (await namespaces()).find((n) => n.name === positionals[0]);
      if (positionals.length === 1) return (ns?.actions ?? []).map((a) => a.name).filter(startsWith(current));
      const inputs = (ns?.actions.find((a) => a.name === positionals[1])?.inputs ?? []) as DdlInputDto[];
      const given = new Set(positionals.slice(2).map((p) => p.split('=')[0]));
      return inputs.filter((i) => !given.has(i.name)).map((i) => `${i.name}=`).filter(startsWith(current));
    }
    if (where === 'namespace describe') return (await namespaces()).map((n) => n.name).filter(startsWith(current));
    if (['hostgroups show', 'hostgroups jobs'].includes(where)) return (await hostgroups()).filter(startsWith(current));
    if (['hosts show', 'hosts facts', 'hosts jobs', 'puppet run'].includes(where)) return (await hosts(current)).filter(startsWith(current));
    if (where === 'facts jobs') return (await factNames(current)).filter(startsWith(current));
    if (where === 'completion') return Object.keys(COMPLETION_SCRIPTS).filter(startsWith(current));
  } catch {
    return [];
  }
  return [];
}

export function registerCompletionCommands(program: Command, ctx: Context): void {
  program.command('completion').argument('<shell>', 'bash, zsh or fish').description('Print the shell completion script: eval "$(rex completion bash)", rex completion fish | source').action((shell: string) => {
    const script = COMPLETION_SCRIPTS[shell];
    if (!Object.hasOwn(COMPLETION_SCRIPTS, shell)) throw new CliError(EXIT.USAGE, `shell: must be bash, zsh or fish (got ${JSON.stringify(shell)})`);
    ctx.io.out.write(script());
  });
  program
    .command(COMPLETE_COMMAND, { hidden: true })
    .argument('[words...]', 'the words after rex, the last one being completed')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (words: string[]) => {
      for (const candidate of await complete(program, ctx, words ?? [])) writeLine(ctx.io.out, candidate);
    });
}
