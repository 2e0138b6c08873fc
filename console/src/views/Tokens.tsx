/** API tokens (ADMIN): list, create (the secret shown once, with a copy button), revoke. */
import { useState } from 'react';
import { useMutation } from 'urql';
import { Dialog, ErrorNote, Loading, StateBadge } from '../components/ui';
import { graphql } from '../gql';
import type { Role } from '../gql/graphql';
import { fmtAgo, fmtDateTime } from '../lib/format';
import { useLiveQuery, useNow, useTitle } from '../lib/session';

const TokensQuery = graphql(`
  query Tokens {
    apiTokens { id name role clusterName createdAt lastUsedAt revokedAt }
  }
`);

const CreateTokenMutation = graphql(`
  mutation CreateToken($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      __typename
      ... on ApiTokenPayload { token apiToken { id name role } }
      ... on Error { code message }
    }
  }
`);

const RevokeTokenMutation = graphql(`
  mutation RevokeToken($id: ID!) {
    revokeApiToken(id: $id) { __typename ... on Error { code message } }
  }
`);

export function TokensView() {
  useTitle('API tokens');
  const now = useNow(10_000);
  const [result, refresh] = useLiveQuery({ query: TokensQuery });
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('VIEWER');
  const [clusterName, setClusterName] = useState('');
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const [createState, create] = useMutation(CreateTokenMutation);
  const [, revoke] = useMutation(RevokeTokenMutation);
  const [copied, setCopied] = useState(false);

  async function submit() {
    setError(null);
    const r = await create({ input: { name: name.trim(), role, clusterName: role === 'MANAGER' && clusterName.trim() ? clusterName.trim() : null } });
    if (r.error) return setError(r.error.graphQLErrors[0]?.message ?? r.error.message);
    const res = r.data?.createApiToken;
    if (res?.__typename === 'ApiTokenPayload') {
      setSecret({ name: res.apiToken.name, token: res.token });
      setCopied(false);
      setName('');
      refresh();
    } else if (res) setError(`${res.code}: ${res.message}`);
  }

  const tokens = result.data?.apiTokens ?? [];
  return (
    <div className="page">
      <header className="page-head">
        <div>
          <h1>API tokens</h1>
          <div className="muted">Who may use the OC. A secret is shown once, when created; the OC stores only its hash.</div>
        </div>
      </header>
      {error && <ErrorNote>{error}</ErrorNote>}
      <form
        className="card toolbar create-token"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span className="field-label">Name</span>
          <input name="name" value={name} placeholder="e.g. alice, ci-deployer" onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">Role</span>
          <select name="role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
            <option value="VIEWER">VIEWER — read only</option>
            <option value="OPERATOR">OPERATOR — run commands</option>
            <option value="ADMIN">ADMIN — everything</option>
            <option value="MANAGER">MANAGER — a manager's enrollment</option>
          </select>
        </label>
        {role === 'MANAGER' && (
          <label className="field">
            <span className="field-label">Cluster (optional)</span>
            <input name="clusterName" value={clusterName} onChange={(e) => setClusterName(e.target.value)} />
          </label>
        )}
        <button type="submit" className="primary" disabled={!name.trim() || createState.fetching}>
          Create token
        </button>
      </form>
      {!result.data ? (
        <Loading what="tokens" />
      ) : (
        <section className="card flush">
          <table className="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Created</th>
                <th>Last used</th>
                <th>State</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id} data-token={t.name} className={t.revokedAt ? 'dim' : undefined}>
                  <td className="strong">
                    {t.name}
                    {t.clusterName && <span className="muted small"> · {t.clusterName}</span>}
                  </td>
                  <td>
                    <span className={`role role-${t.role}`}>{t.role}</span>
                  </td>
                  <td>{fmtDateTime(t.createdAt)}</td>
                  <td>{t.lastUsedAt ? fmtAgo(t.lastUsedAt, now) : 'never'}</td>
                  <td>{t.revokedAt ? <StateBadge state="CANCELLED" label={`revoked ${fmtAgo(t.revokedAt, now)}`} /> : <StateBadge state="SUCCEEDED" label="active" />}</td>
                  <td className="num">
                    {!t.revokedAt && (
                      <button type="button" className="danger small-btn" onClick={() => setRevoking({ id: t.id, name: t.name })}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {secret && (
        <Dialog title={`Token for ${secret.name}`} onClose={() => setSecret(null)}>
          <div className="dialog-body">
            <p>Copy it now: it will not be shown again.</p>
            <div className="secret">
              <code data-testid="secret">{secret.token}</code>
              <button
                type="button"
                className="primary"
                onClick={() => {
                  void navigator.clipboard?.writeText(secret.token).then(() => setCopied(true));
                }}
              >
                {copied ? 'Copied ✓' : 'Copy'}
              </button>
            </div>
            <footer className="dialog-foot">
              <span className="spacer" />
              <button type="button" onClick={() => setSecret(null)}>
                Done
              </button>
            </footer>
          </div>
        </Dialog>
      )}
      {revoking && (
        <Dialog title={`Revoke ${revoking.name}?`} onClose={() => setRevoking(null)}>
          <div className="dialog-body">
            <p>Whoever uses this token is refused from now on, on open connections too.</p>
            <footer className="dialog-foot">
              <span className="spacer" />
              <button type="button" onClick={() => setRevoking(null)}>
                Keep it
              </button>
              <button
                type="button"
                className="danger solid"
                onClick={async () => {
                  const r = await revoke({ id: revoking.id });
                  setRevoking(null);
                  if (r.error) setError(r.error.message);
                  else if (r.data && r.data.revokeApiToken.__typename !== 'RevokeApiTokenPayload' && 'message' in r.data.revokeApiToken) setError(r.data.revokeApiToken.message);
                  refresh();
                }}
              >
                Revoke
              </button>
            </footer>
          </div>
        </Dialog>
      )}
    </div>
  );
}
