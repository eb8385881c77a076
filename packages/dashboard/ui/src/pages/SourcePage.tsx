import { type SourceResponse, useLive } from "../api.js";
import { BarChart } from "../Chart.js";
import { Card, Empty, ErrorBox, Loading, Stat, Stats } from "../components.js";
import { formatAmount, tokenNumber, trimNumber } from "../format.js";

/** One source: its services and the revenue share each earned per session. */
export function SourcePage(props: { address: string }) {
  const { data, error } = useLive<SourceResponse>(`/api/sources/${props.address}`);
  if (!data)
    return error ? (
      <ErrorBox error={error} prefix="This source cannot be shown" />
    ) : (
      <Loading what="the source" />
    );
  const { source, tokens } = data;
  const pay = (v: string) => formatAmount(v, tokens.payment);
  return (
    <>
      <h1 className="page-title">
        Source <code className="break">{source.address}</code>
      </h1>
      <ErrorBox error={error ?? data.error} prefix="Showing the last data read" />
      <Stats>
        <Stat label="Revenue share earned" value={pay(source.earned)} testId="source-earned" />
        <Stat label="Services" value={source.services.length} testId="source-services" />
      </Stats>
      {source.services.length === 0 && (
        <Empty title="This address has no service." testId="source-empty">
          Register a model with <code>decai source register</code>; it earns a share of every settled claim on
          it.
        </Empty>
      )}
      {source.services.map((s) => (
        <Card
          key={s.id}
          title={
            <>
              {s.name} <span className="muted">{s.modelName}</span>
            </>
          }
          actions={
            <span className="muted">
              {s.sourceShareBps / 100}% share · earned <strong>{pay(s.earned)}</strong>
            </span>
          }
          testId={`source-service-${s.name}`}
        >
          {s.earnings.length === 0 ? (
            <Empty title="No revenue yet." testId="source-earnings-empty">
              The share is paid when a supplier's claim on this service settles: send requests for it through
              a gateway.
            </Empty>
          ) : (
            <BarChart
              label={`revenue share (${tokens.payment.symbol}) per session`}
              lineLabel="running total"
              format={trimNumber}
              points={s.earnings.map((p) => ({
                label: `s${p.session}`,
                value: tokenNumber(p.amount, tokens.payment),
                line: tokenNumber(p.cumulative, tokens.payment),
              }))}
              testId="source-chart"
            />
          )}
        </Card>
      ))}
    </>
  );
}
