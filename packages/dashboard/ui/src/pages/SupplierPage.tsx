import type { ClaimStage } from "@decai/chain";
import { type SupplierResponse, useLive } from "../api.js";
import { BarChart } from "../Chart.js";
import { Addr, Card, Empty, ErrorBox, Loading, StageBadge, Stat, Stats, Table } from "../components.js";
import {
  describeChecks,
  describeEvidence,
  formatAmount,
  formatCount,
  tokenNumber,
  trimNumber,
} from "../format.js";

const STAGES: ClaimStage[] = ["claimed", "proof required", "proven", "settled", "void"];

/** One supplier: stake, work, claims by stage, earnings over time, and the gateway's view of its quality. */
export function SupplierPage(props: { address: string }) {
  const { data, error } = useLive<SupplierResponse>(`/api/suppliers/${props.address}`);
  if (!data)
    return error ? (
      <ErrorBox error={error} prefix="This supplier cannot be shown" />
    ) : (
      <Loading what="the supplier" />
    );
  const { supplier: s, tokens, reputation } = data;
  const pay = (v: string) => formatAmount(v, tokens.payment);
  return (
    <>
      <h1 className="page-title">
        Supplier <code className="break">{s.address}</code>
      </h1>
      <ErrorBox error={error ?? data.error} prefix="Showing the last data read" />
      {!s.staked && (
        <div className="notice">
          This address is not staked as a supplier now{s.claims.length ? "; its past work is below" : ""}.
        </div>
      )}
      <Stats>
        <Stat label="Stake" value={formatAmount(s.stake, tokens.stake, 2)} testId="supplier-stake" />
        <Stat label="Earned" value={pay(s.earned)} testId="supplier-earned" />
        <Stat label="Sessions served" value={s.sessionsServed} testId="supplier-sessions" />
        <Stat
          label="Relays mined"
          value={formatCount(s.relaysMined)}
          hint={`${formatCount(s.computeUnits)} CU`}
          testId="supplier-relays"
        />
      </Stats>
      <Card title="Claims by stage" testId="supplier-stages">
        <div className="stage-row">
          {STAGES.map((stage) => (
            <div key={stage} className="stage-count">
              <StageBadge stage={stage} />{" "}
              <strong data-testid={`stage-${stage.replace(" ", "-")}`}>{s.claimCounts[stage]}</strong>
            </div>
          ))}
        </div>
      </Card>
      <Card title="Earnings per session of work" testId="supplier-earnings">
        {s.earnings.length === 0 ? (
          <Empty title="Nothing earned yet." testId="supplier-earnings-empty">
            Earnings show once a claim settles: serve relays in a session, then wait for its claim and proof
            windows to pass.
          </Empty>
        ) : (
          <BarChart
            label={`earned (${tokens.payment.symbol})`}
            lineLabel="running total"
            format={trimNumber}
            points={s.earnings.map((p) => ({
              label: `s${p.session}`,
              value: tokenNumber(p.amount, tokens.payment),
              line: tokenNumber(p.cumulative, tokens.payment),
            }))}
            testId="supplier-chart"
          />
        )}
      </Card>
      <Card title="Quality and verification (from the gateway)" testId="supplier-reputation">
        {!reputation.available ? (
          <Empty title="No reputation data." testId="reputation-empty">
            {reputation.message}
          </Empty>
        ) : reputation.rows.length === 0 ? (
          <Empty title="The gateway has no score for this supplier yet.">
            Scores come from the gateway's checks of real and challenge traffic; send requests through it.
          </Empty>
        ) : (
          <Table head={["Service", "State", "Score", "Checks", "Evidence"]}>
            {reputation.rows.map((r) => (
              <tr key={`${r.service}-${r.supplier}`}>
                <td>{r.service}</td>
                <td>{r.state}</td>
                <td>{r.score === null ? "—" : r.score.toFixed(2)}</td>
                <td>{describeChecks(r.checks)}</td>
                <td>{describeEvidence(r.evidence)}</td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <Card title="Services" testId="supplier-services">
        {s.services.length === 0 ? (
          <Empty title="It serves no service now." />
        ) : (
          <Table head={["Service", "Endpoint", "From session"]}>
            {s.services.map((x) => (
              <tr key={x.id}>
                <td>{x.name}</td>
                <td>
                  <code className="break">{x.endpoint}</code>
                </td>
                <td>
                  {x.fromSession}
                  {x.untilSession ? ` until ${x.untilSession}` : ""}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
      <Card title="Claims" testId="supplier-claims">
        {s.claims.length === 0 ? (
          <Empty title="No claims yet.">
            A supplier claims each session it served, once the session's claim window opens.
          </Empty>
        ) : (
          <Table head={["Stage", "Service", "Session", "Application", "Relays", "CU", "Earned"]}>
            {s.claims.map((c) => (
              <tr key={c.key}>
                <td>
                  <StageBadge stage={c.stage} />
                </td>
                <td>{c.service}</td>
                <td>{c.session}</td>
                <td>
                  <Addr value={c.application} />
                </td>
                <td>{formatCount(c.rootCount)}</td>
                <td>{formatCount(c.rootSum)}</td>
                <td>{c.supplierAmount ? pay(c.supplierAmount) : "—"}</td>
              </tr>
            ))}
          </Table>
        )}
      </Card>
    </>
  );
}
