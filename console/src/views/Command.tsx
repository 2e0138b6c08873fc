export function CommandView(_: Record<string, unknown>) {
  return <div className="page">Command</div>;
}
