/** Rollback in the command view: the links between a command and its rollback, and the Rollback button (with confirmation) of a DEPLOY or PATCH that is over. */
import { useState } from 'react';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { shortId, TERMINAL } from '../lib/format';
import { navigate, paths } from '../lib/router';
import { Dialog, ErrorNote, Link } from './ui';

const RollbackMutation = graphql(`
  mutation RollbackCommand($id: ID!) {
    rollbackCommand(id: $id) {
      __typename
      ... on CommandPayload { command { id } }
      ... on Error { code message }
    }
  }
`);

interface Ref {
  id: string;
  state: string;
}
interface Rollbackable {
  id: string;
  kind: string;
  state: string;
  rollbackOf?: Ref | null;
  rolledBackBy?: Ref | null;
}

/** "rolls back #abcd1234" and "rolled back by #ef567890", as links. */
export function RollbackLinks({ cmd }: { cmd: Rollbackable }) {
  if (!cmd.rollbackOf && !cmd.rolledBackBy) return null;
  return (
    <span className="muted" data-testid="rollback-links">
      {cmd.rollbackOf && (
        <>
          rolls back <Link to={paths.command(cmd.rollbackOf.id)}>#{shortId(cmd.rollbackOf.id)}</Link>
        </>
      )}
      {cmd.rollbackOf && cmd.rolledBackBy && ' · '}
      {cmd.rolledBackBy && (
        <>
          rolled back by <Link to={paths.command(cmd.rolledBackBy.id)}>#{shortId(cmd.rolledBackBy.id)}</Link> ({cmd.rolledBackBy.state.toLowerCase()})
        </>
      )}
    </span>
  );
}

/** Whether the command view offers Rollback: a DEPLOY or PATCH that is over (not a PATCH's child while its PATCH runs: the OC says so if tried). */
export const canRollback = (cmd: Rollbackable) => (cmd.kind === 'DEPLOY' || cmd.kind === 'PATCH') && TERMINAL.has(cmd.state);

export function RollbackButton({ cmd }: { cmd: Rollbackable }) {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [state, rollback] = useMutation(RollbackMutation);

  async function send() {
    setError(null);
    const r = await rollback({ id: cmd.id });
    if (r.error) return setError(r.error.graphQLErrors[0]?.message ?? r.error.message);
    const res = r.data?.rollbackCommand;
    if (!res) return setError('The OC gave no answer.');
    if (res.__typename === 'CommandPayload') {
      setConfirm(false);
      navigate(paths.command(res.command.id));
      return;
    }
    setError(`${res.code}: ${res.message}`);
  }

  return (
    <>
      <button type="button" disabled={state.fetching} onClick={() => setConfirm(true)}>
        ↶ Rollback
      </button>
      {confirm && (
        <Dialog title="Roll this command back?" onClose={() => setConfirm(false)}>
          <div className="dialog-body">
            {error && <ErrorNote>{error}</ErrorNote>}
            <p>
              Every worker this {cmd.kind === 'PATCH' ? 'patch' : 'deploy'} changed gets the version it ran before, in the same strategy, as a new command
              {cmd.rolledBackBy ? ` (it was rolled back before, by #${shortId(cmd.rolledBackBy.id)})` : ''}. Workers whose earlier version the OC never deployed are
              skipped, and the new command says which.
            </p>
            <footer className="dialog-foot">
              <span className="spacer" />
              <button type="button" onClick={() => setConfirm(false)}>
                Keep it as it is
              </button>
              <button type="button" className="danger solid" disabled={state.fetching} onClick={() => void send()}>
                Roll back
              </button>
            </footer>
          </div>
        </Dialog>
      )}
    </>
  );
}
