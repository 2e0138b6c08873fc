export function EventsView(_: Record<string, unknown>) {
  return <div className="page">Events</div>;
}
