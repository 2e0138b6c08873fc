export function ClusterView(_: Record<string, unknown>) {
  return <div className="page">Cluster</div>;
}
