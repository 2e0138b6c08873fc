export function PatchView(_: Record<string, unknown>) {
  return <div className="page">Patch</div>;
}
