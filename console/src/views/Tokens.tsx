export function TokensView(_: Record<string, unknown>) {
  return <div className="page">Tokens</div>;
}
