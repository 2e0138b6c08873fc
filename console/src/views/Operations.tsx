export function OperationsView(_: Record<string, unknown>) {
  return <div className="page">Operations</div>;
}
