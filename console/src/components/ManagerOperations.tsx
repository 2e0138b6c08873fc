/** The operations a cluster's manager advertises, each with a form from its inputSchema, and the answer shown readably. */
import { useMemo, useState } from 'react';
import { useMutation } from 'urql';
import { type FragmentType, graphql, readFragment } from '../gql';
import { argumentsFrom, asTable, type FieldSpec, formFromSchema } from '../lib/schema-form';
import { Link } from './ui';
import { paths } from '../lib/router';

export const ManagerOperationFragment = graphql(`
  fragment ManagerOperationItem on ManagerOperation {
    name
    description
    inputSchema
  }
`);

const RunOperationMutation = graphql(`
  mutation RunManagerOperation($input: RunManagerOperationInput!) {
    runManagerOperation(input: $input) {
      __typename
      ... on OperationPayload { result command { id } }
      ... on OperationFailedError { result }
      ... on TimeoutError { timeoutMs }
      ... on ValidationError { field }
      ... on Error { code message }
    }
  }
`);

type Answer =
  | { ok: true; result: unknown; commandId: string }
  | { ok: false; kind: string; code: string; message: string; detail?: unknown };

export function ManagerOperations({
  clusterId,
  operations,
  canRun,
  connected,
}: {
  clusterId: string;
  operations: readonly FragmentType<typeof ManagerOperationFragment>[];
  canRun: boolean;
  connected: boolean;
}) {
  const ops = operations.map((o) => readFragment(ManagerOperationFragment, o));
  const [open, setOpen] = useState<string | null>(ops[0]?.name ?? null);
  if (ops.length === 0) return <p className="muted">This cluster's manager offers no operations of its own.</p>;
  return (
    <div className="ops">
      <ul className="ops-list">
        {ops.map((o) => (
          <li key={o.name}>
            <button type="button" aria-pressed={open === o.name} className={open === o.name ? 'on' : ''} onClick={() => setOpen(o.name)}>
              <span className="op-name">{o.name}</span>
              {o.description && <span className="op-desc">{o.description}</span>}
            </button>
          </li>
        ))}
      </ul>
      <div className="ops-panel">
        {ops
          .filter((o) => o.name === open)
          .map((o) => (
            <OperationForm key={o.name} clusterId={clusterId} name={o.name} description={o.description ?? null} schema={o.inputSchema} canRun={canRun} connected={connected} />
          ))}
      </div>
    </div>
  );
}

function OperationForm({ clusterId, name, description, schema, canRun, connected }: { clusterId: string; name: string; description: string | null; schema: unknown; canRun: boolean; connected: boolean }) {
  const spec = useMemo(() => formFromSchema(schema), [schema]);
  const [values, setValues] = useState<Record<string, string | boolean>>(() => {
    const v: Record<string, string | boolean> = {};
    for (const f of spec.fields) if (f.default !== undefined) v[f.name] = f.kind === 'boolean' ? f.default === true : String(f.default);
    return v;
  });
  const [rawArgs, setRawArgs] = useState('{}');
  const [touched, setTouched] = useState(false);
  const [answer, setAnswer] = useState<Answer | null>(null);
  const [state, run] = useMutation(RunOperationMutation);
  const { args, problems } = argumentsFrom(spec, values);

  async function submit() {
    setTouched(true);
    let sent: unknown = args;
    if (spec.raw) {
      try {
        sent = JSON.parse(rawArgs);
      } catch {
        setAnswer({ ok: false, kind: 'Arguments', code: 'VALIDATION', message: 'The arguments are not valid JSON.' });
        return;
      }
    } else if (Object.keys(problems).length > 0) return;
    setAnswer(null);
    const r = await run({ input: { clusterId, operation: name, arguments: sent } });
    if (r.error) {
      setAnswer({ ok: false, kind: 'Refused', code: String(r.error.graphQLErrors[0]?.extensions?.code ?? 'ERROR'), message: r.error.graphQLErrors[0]?.message ?? r.error.message });
      return;
    }
    const res = r.data?.runManagerOperation;
    if (!res) return;
    if (res.__typename === 'OperationPayload') setAnswer({ ok: true, result: res.result, commandId: res.command.id });
    else {
      const kind = { UnreachableError: 'Manager unreachable', TimeoutError: 'Timed out', OperationFailedError: 'The operation failed', ValidationError: 'Invalid arguments', NotFoundError: 'Not found' }[res.__typename] ?? res.__typename;
      setAnswer({ ok: false, kind, code: res.code, message: res.message, detail: res.__typename === 'OperationFailedError' ? res.result : undefined });
    }
  }

  return (
    <form
      noValidate
      className="op-form"
      data-operation={name}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h3>{name}</h3>
      {description && <p className="muted">{description}</p>}
      {spec.raw ? (
        <label className="field">
          <span className="field-label">Arguments (JSON)</span>
          <textarea rows={5} value={rawArgs} onChange={(e) => setRawArgs(e.target.value)} spellCheck={false} />
        </label>
      ) : spec.fields.length === 0 ? (
        <p className="muted small">No arguments.</p>
      ) : (
        <div className="field-grid">
          {spec.fields.map((f) => (
            <SchemaField key={f.name} f={f} value={values[f.name]} problem={touched ? problems[f.name] : undefined} onChange={(v) => setValues({ ...values, [f.name]: v })} />
          ))}
        </div>
      )}
      <div className="op-actions">
        {canRun ? (
          <button type="submit" className="primary" disabled={state.fetching}>
            {state.fetching ? 'Running…' : `Run ${name}`}
          </button>
        ) : (
          <span className="muted small">Your role may read but not run operations.</span>
        )}
        {!connected && <span className="bad-text small">The manager is unreachable: the operation will fail.</span>}
      </div>
      {answer && <AnswerView answer={answer} />}
    </form>
  );
}

function SchemaField({ f, value, problem, onChange }: { f: FieldSpec; value: string | boolean | undefined; problem?: string; onChange: (v: string | boolean) => void }) {
  const label = (
    <span className="field-label">
      {f.name}
      {f.required && <span className="req" title="required"> *</span>}
    </span>
  );
  const hint = <span className={problem ? 'field-hint bad-text' : 'field-hint'}>{problem ?? f.description ?? (f.kind === 'json' ? 'JSON' : f.kind)}</span>;
  if (f.kind === 'boolean') {
    return (
      <label className="field check">
        <input type="checkbox" name={f.name} checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {label}
        {hint}
      </label>
    );
  }
  if (f.kind === 'enum') {
    return (
      <label className="field">
        {label}
        <select name={f.name} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)}>
          <option value="">{f.required ? 'Choose…' : '(none)'}</option>
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
        {hint}
      </label>
    );
  }
  return (
    <label className="field">
      {label}
      <input
        name={f.name}
        type={f.kind === 'number' || f.kind === 'integer' ? 'number' : 'text'}
        step={f.kind === 'integer' ? 1 : 'any'}
        value={typeof value === 'string' ? value : ''}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={problem ? true : undefined}
        spellCheck={false}
      />
      {hint}
    </label>
  );
}

function AnswerView({ answer }: { answer: Answer }) {
  if (!answer.ok) {
    return (
      <div className="answer error" role="alert" data-testid="answer-error">
        <div className="answer-head">
          <b>{answer.kind}</b> <code>{answer.code}</code>
        </div>
        <p>{answer.message}</p>
        {answer.detail != null && <pre className="json">{JSON.stringify(answer.detail, null, 2)}</pre>}
      </div>
    );
  }
  return (
    <div className="answer" data-testid="answer">
      <div className="answer-head">
        <b>Answer</b> <Link to={paths.command(answer.commandId)} className="small">as a command →</Link>
      </div>
      <ResultView value={answer.result} />
    </div>
  );
}

export function ResultView({ value }: { value: unknown }) {
  const table = asTable(value);
  if (!table) return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
  return (
    <div className="table-wrap">
      <table className="grid">
        <thead>
          <tr>
            {table.columns.map((c) => (
              <th key={c}>{c}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {table.rows.map((r, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: records have no key of their own
            <tr key={i}>
              {table.columns.map((c) => (
                <td key={c}>{cell(r[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function cell(v: unknown): string {
  if (v == null) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) return v.join(', ');
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
