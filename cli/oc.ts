/**
 * `oc`, the Operations Center's command line: a client of the public GraphQL API only.
 * Run it as `npm run oc -- …` in the repository, or as `oc` after `npm link` (cli/bin/oc.js).
 *
 * Exit codes: 0 done; 1 an error (one line `oc: CODE: message` on stderr) or a watched command
 * FAILED; 2 a watched command CANCELLED; 3 a watched command PAUSED by its failure budget;
 * 64 a usage error (nothing was sent).
 */
import { Command, CommanderError, Option } from 'commander';
import * as cmd from './commands.js';
import * as previews from './preview-commands.js';
import { errorLine, EXIT } from './lib/errors.js';
import { parseOutput } from './lib/format.js';

const VERSION = '0.1.0';

// `oc … | head`: the reader went away; stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
}

function build(setExit: (code: number) => void): Command {
  const program = new Command('oc')
    .description('Operate the Operations Center: clusters, rollouts, operations and tokens.\nConfigure with `oc login URL`, or OC_URL and OC_TOKEN.')
    .version(VERSION, '-V, --version')
    .addOption(new Option('-o, --output <format>', 'table or json').default('table').argParser(parseOutput))
    // One line, like every other error: `oc: USAGE: unknown command 'restrt' (Did you mean restart?)`.
    .configureOutput({ outputError: (text, write) => write(`oc: USAGE: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) })
    .exitOverride()
    .addHelpText(
      'after',
      `
Environment: OC_URL and OC_TOKEN override what \`oc login\` saved; NO_COLOR turns colours off.
Exit codes: 0 done (--watch: SUCCEEDED), 1 error or FAILED, 2 CANCELLED,
3 PAUSED by the failure budget, 64 usage error.`,
    );
  const g = (): cmd.Globals => ({ output: program.opts().output });
  const run = (fn: (...args: any[]) => Promise<unknown>) =>
    async (...args: any[]) => {
      const code = await fn(...args);
      if (typeof code === 'number') setExit(code);
    };
  const rolloutOptions = (c: Command) =>
    c
      .option('--batch <n>', 'workers taken out at a time', undefined)
      .option('--max-failures <n>', 'failed workers tolerated before the rollout stops')
      .option('--on-failure <action>', 'abort or pause once more have failed')
      .option('--health-timeout <duration>', 'a worker must be RUNNING again within this (e.g. 60s)')
      .option('--pause-between <duration>', 'wait between batches (e.g. 0s, 30s)')
      .option('--canary <n>', 'restart these first workers, then hold until `oc promote`')
      .option('--auto-promote <duration>', 'with --canary: promote by itself once the canary has been healthy this long')
      .option('--min-healthy <duration>', 'a restarted worker must stay RUNNING this long before it counts (e.g. 30s)')
      .option('--progress-deadline <duration>', 'fail the rollout when no worker has succeeded for this long (e.g. 10m)');
  const strategyOptions = (c: Command) => rolloutOptions(c).option('-w, --watch', 'follow it until it ends; exit 0 succeeded, 1 failed, 2 cancelled, 3 paused by failures');

  program
    .command('login')
    .description('check a token against an OC and keep both in ~/.config/oc/config.json (mode 0600)')
    .argument('<url>', 'the OC, e.g. http://localhost:4000')
    .option('--token <token>', 'the API token (read from stdin when not given)')
    .action(run((url, o) => cmd.login(url, o, g())));

  program
    .command('clusters')
    .description('list clusters, with health, workers and versions')
    .option('--kind <kind>', 'only this product kind (AS, ESB, …)')
    .option('--health <health>', 'only healthy, degraded, unavailable or unreachable ones')
    .action(run((o) => cmd.clusters(o, g())));

  program
    .command('cluster')
    .description('one cluster: its manager, workers, versions and the command running on it')
    .argument('<name>', 'cluster name (or id)')
    .action(run((name, o) => cmd.cluster(name, o, g())));

  strategyOptions(program.command('restart').description('rolling restart of a cluster').argument('<cluster>', 'cluster name (or id)')).action(
    run((name, o) => cmd.restart(name, o, g())),
  );

  strategyOptions(
    program
      .command('deploy')
      .description('roll an artifact out to a cluster')
      .argument('<cluster>', 'cluster name (or id)')
      .requiredOption('--artifact <name@version>', 'what to deploy, e.g. storefront.war@2.0.0')
      .requiredOption('--url <url>', 'where the manager downloads it')
      .requiredOption('--sha256 <hex>', 'its SHA-256')
      .option('--auto-revert', 'if it fails, roll the workers it changed back at once'),
  ).action(run((name, o) => cmd.deploy(name, o, g())));

  strategyOptions(
    program
      .command('patch')
      .description('deploy an artifact to every cluster of some kinds, cluster after cluster')
      .option('--kinds <kinds>', 'comma-separated kinds, e.g. AS,ESB (default: every cluster)')
      .requiredOption('--artifact <name@version>', 'what to deploy')
      .requiredOption('--url <url>', 'where managers download it')
      .requiredOption('--sha256 <hex>', 'its SHA-256')
      .option('--max-parallel <n>', 'clusters rolling at a time (default 1)')
      .option('--auto-revert', 'if it fails, roll the clusters it changed back at once'),
  ).action(run((o) => cmd.patch(o, g())));

  const preview = program.command('preview').description('what restart, deploy or patch would run now (batches, estimate, warnings); starts nothing');
  rolloutOptions(preview.command('restart').description('the batches of a rolling restart').argument('<cluster>', 'cluster name (or id)')).action(
    run((name, o) => previews.previewRestart(name, o, g())),
  );
  rolloutOptions(
    preview
      .command('deploy')
      .description('the batches of a deploy')
      .argument('<cluster>', 'cluster name (or id)')
      .requiredOption('--artifact <name@version>', 'what to deploy, e.g. storefront.war@2.0.0')
      .requiredOption('--url <url>', 'where the manager downloads it')
      .requiredOption('--sha256 <hex>', 'its SHA-256'),
  ).action(run((name, o) => previews.previewDeploy(name, o, g())));
  rolloutOptions(
    preview
      .command('patch')
      .description('the clusters, waves and batches of a patch')
      .option('--kinds <kinds>', 'comma-separated kinds, e.g. AS,ESB (default: every cluster)')
      .requiredOption('--artifact <name@version>', 'what to deploy')
      .requiredOption('--url <url>', 'where managers download it')
      .requiredOption('--sha256 <hex>', 'its SHA-256')
      .option('--max-parallel <n>', 'clusters rolling at a time (default 1)'),
  ).action(run((o) => previews.previewPatch(o, g())));

  program
    .command('commands')
    .description('list commands, newest first')
    .option('--state <state>', 'pending, running, paused, succeeded, failed or cancelled')
    .option('--kind <kind>', 'restart, deploy, patch or operation')
    .option('--cluster <name>', 'only this cluster’s')
    .option('--limit <n>', 'how many (default 20)')
    .action(run((o) => cmd.commands(o, g())));

  program
    .command('status')
    .description('one command: state, steps, children')
    .argument('<id>', 'command id (or the start of it: 4 hex digits or more)')
    .option('-w, --watch', 'follow it until it ends; exit 0 succeeded, 1 failed, 2 cancelled, 3 paused by failures')
    .action(run((id, o) => cmd.status(id, o, g())));

  for (const verb of ['pause', 'resume', 'promote', 'cancel'] as const) {
    const what = {
      pause: 'hold a rollout after its batch in flight',
      resume: 'continue a paused rollout',
      promote: 'continue a rollout held for its canary (a patch: every cluster held for its canary)',
      cancel: 'stop a command after its batch in flight',
    }[verb];
    program
      .command(verb)
      .description(what)
      .argument('<id>', 'command id (or the start of it: 4 hex digits or more)')
      .action(run((id) => cmd.control(verb, id, g())));
  }

  program
    .command('rollback')
    .description('deploy back, to each worker a finished deploy or patch changed, the version it ran before')
    .argument('<id>', 'command id (or the start of it: 4 hex digits or more)')
    .option('-w, --watch', 'follow the rollback until it ends; exit 0 succeeded, 1 failed, 2 cancelled, 3 paused by failures')
    .action(run((id, o) => cmd.rollback(id, o, g())));

  program
    .command('op')
    .description("run one of a cluster manager's operations and print its answer")
    .argument('<cluster>', 'cluster name (or id)')
    .argument('<operation>', 'operation name (oc cluster NAME lists them)')
    .option('--arg <key=value>', 'an argument (repeatable; numbers, booleans and JSON taken as such)', (v: string, acc: string[] = []) => [...acc, v])
    .option('--args <json>', 'every argument as one JSON object')
    .option('--timeout <duration>', "how long to wait for the manager's answer (default 10s)")
    .action(run((cluster, operation, o) => cmd.op(cluster, operation, o, g())));

  const tokens = program.command('tokens').description('API tokens (ADMIN)');
  tokens
    .command('list')
    .description('every token, revoked ones too')
    .action(run(() => cmd.tokensList(g())));
  tokens
    .command('create')
    .description('make a token; its secret is printed once')
    .argument('<name>', 'a name people recognise')
    .option('--role <role>', 'viewer, operator, admin or manager')
    .option('--cluster <name>', 'MANAGER tokens: the one cluster it may register')
    .action(run((name, o) => cmd.tokensCreate(name, o, g())));
  tokens
    .command('revoke')
    .description('refuse a token from now on (open connections too)')
    .argument('<id>', 'token id (oc tokens list)')
    .action(run((id) => cmd.tokensRevoke(id, g())));

  program
    .command('events')
    .description('follow membership, topology and command events as they happen')
    .option('--cluster <name>', "only this cluster's")
    .option('-f, --follow', 'keep following (required: the OC keeps no event history)')
    .action(run((o) => cmd.events(o, g())));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let exit: number = EXIT.OK;
  const program = build((code) => (exit = code));
  try {
    await program.parseAsync(argv);
    return exit;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.OK;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      return EXIT.USAGE; // commander printed the one line already
    }
    process.stderr.write(`${errorLine(e)}\n`);
    if (process.env.OC_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    return (e as { exitCode?: number }).exitCode ?? EXIT.ERROR;
  }
}

// A fault of oc's own still ends in one line (OC_DEBUG=1 adds the stack).
for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
  process.on(event, (e: unknown) => {
    process.stderr.write(`${errorLine(e)}\n`);
    if (process.env.OC_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exit(EXIT.ERROR);
  });
}

process.exitCode = await main(process.argv);
// Nothing should keep running once the command is done (a live socket being closed, a timer).
setImmediate(() => process.exit(process.exitCode ?? 0)).unref();
