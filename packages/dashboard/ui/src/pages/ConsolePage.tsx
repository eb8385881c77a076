import type { TokenInfo } from "@decai/chain";
import { type FormEvent, useState } from "react";
import {
  ApiError,
  api,
  type NetworkResponse,
  type ReputationView,
  type UsageSummary,
  useLive,
} from "../api.js";
import { BarChart } from "../Chart.js";
import { Addr, Card, Empty, ErrorBox, Loading, Stat, Stats, Table } from "../components.js";
import {
  describeChecks,
  describeEvidence,
  formatAmount,
  formatCount,
  formatMs,
  tokenNumber,
  trimNumber,
} from "../format.js";
import { KeysCard } from "./KeysCard.js";

const STORAGE = "decai.adminToken";

/** The gateway console: keys, usage per key and model, and the supplier leaderboard. Needs the admin token. */
export function ConsolePage() {
  const [token, setToken] = useState(() => sessionStorage.getItem(STORAGE) ?? "");
  const network = useLive<NetworkResponse>("/api/network", { pollMs: 10_000 });
  if (!network.data) {
    return network.error ? (
      <ErrorBox error={network.error} prefix="The console cannot start" />
    ) : (
      <Loading what="the console" />
    );
  }
  if (!network.data.gatewayUrl) {
    return (
      <Empty title="No gateway is connected." testId="console-no-gateway">
        Start the dashboard with <code>decai dashboard --gateway http://127.0.0.1:8080</code> (the devnet
        connects its own).
      </Empty>
    );
  }
  if (!token) return <TokenForm gatewayUrl={network.data.gatewayUrl} onToken={setToken} />;
  const forget = () => {
    sessionStorage.removeItem(STORAGE);
    setToken("");
  };
  const payment = network.data.status.tokens.payment;
  return (
    <>
      <div className="toolbar">
        <span className="muted">
          Gateway <code>{network.data.gatewayUrl}</code>
        </span>
        <button type="button" className="link" onClick={forget} data-testid="forget-token">
          Forget admin token
        </button>
      </div>
      <KeysCard adminToken={token} token={payment} />
      <UsageCard adminToken={token} token={payment} onUnauthorized={forget} />
      <Leaderboard network={network.data} />
    </>
  );
}

function TokenForm(props: { gatewayUrl: string; onToken: (token: string) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api("/api/gateway/keys", { adminToken: value.trim() }); // checks the token before keeping it
      sessionStorage.setItem(STORAGE, value.trim());
      props.onToken(value.trim());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title="Gateway console">
      <p>
        The console manages the keys of the gateway at <code className="break">{props.gatewayUrl}</code>.
        Enter its admin token (<code>DECAI_GATEWAY_ADMIN_TOKEN</code>; a devnet keeps it in{" "}
        <code>.decai/devnet/devnet.json</code>). It stays in this browser tab only.
      </p>
      <form className="form-row" onSubmit={submit} data-testid="token-form">
        <label className="grow">
          Admin token
          <input
            type="password"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            autoComplete="off"
            name="admin-token"
          />
        </label>
        <button type="submit" disabled={busy || value.trim() === ""}>
          Open console
        </button>
      </form>
      <ErrorBox error={error} />
    </Card>
  );
}

const WINDOWS = [
  { hours: 1, label: "last hour" },
  { hours: 24, label: "last day" },
  { hours: 24 * 7, label: "last week" },
];

function UsageCard(props: { adminToken: string; token: TokenInfo; onUnauthorized: () => void }) {
  const [hours, setHours] = useState(1);
  const { data, error } = useLive<UsageSummary>(`/api/gateway/usage?hours=${hours}`, {
    adminToken: props.adminToken,
    pollMs: 5000,
  });
  const pay = (v: string) => formatAmount(v, props.token);
  const label = (iso: string) => {
    const d = new Date(iso);
    return hours > 24
      ? `${d.getMonth() + 1}/${d.getDate()}`
      : `${d.getHours()}:${String(d.getMinutes()).padStart(2, "0")}`;
  };
  return (
    <Card
      title="Usage"
      testId="usage"
      actions={
        <select value={hours} onChange={(e) => setHours(Number(e.target.value))} aria-label="window">
          {WINDOWS.map((w) => (
            <option key={w.hours} value={w.hours}>
              {w.label}
            </option>
          ))}
        </select>
      }
    >
      <ErrorBox error={error} prefix="Cannot read the usage log" />
      {error instanceof ApiError && error.status === 401 && (
        <button type="button" onClick={props.onUnauthorized}>
          Enter another admin token
        </button>
      )}
      {!data ? null : data.rows === 0 ? (
        <Empty title="No requests in this window." testId="usage-empty">
          Send a chat request with one of the keys above; it shows here within seconds.
        </Empty>
      ) : (
        <>
          <Stats>
            <Stat
              label="Requests"
              value={formatCount(data.total.requests)}
              hint={`${data.total.failed} failed`}
              testId="usage-requests"
            />
            <Stat
              label="Tokens"
              value={formatCount(data.total.inputTokens + data.total.outputTokens)}
              hint={`${formatCount(data.total.inputTokens)} in · ${formatCount(data.total.outputTokens)} out`}
              testId="usage-tokens"
            />
            <Stat label="Cost" value={pay(data.total.cost)} testId="usage-cost" />
            <Stat
              label="TTFT p50 / p95"
              value={`${formatMs(data.total.ttftP50)} / ${formatMs(data.total.ttftP95)}`}
            />
            <Stat
              label="Latency p50 / p95"
              value={`${formatMs(data.total.latencyP50)} / ${formatMs(data.total.latencyP95)}`}
            />
          </Stats>
          <div className="charts">
            <BarChart
              label="requests"
              format={trimNumber}
              points={data.series.map((b) => ({ label: label(b.start), value: b.requests }))}
              testId="chart-requests"
            />
            <BarChart
              label="tokens"
              format={trimNumber}
              points={data.series.map((b) => ({ label: label(b.start), value: b.tokens }))}
            />
            <BarChart
              label={`cost (${props.token.symbol})`}
              format={trimNumber}
              points={data.series.map((b) => ({
                label: label(b.start),
                value: tokenNumber(b.cost, props.token),
              }))}
            />
          </div>
          <h3>Per key</h3>
          <UsageTable
            rows={data.byKey.map((r) => ({ ...r, name: r.name }))}
            pay={pay}
            testId="usage-by-key"
          />
          <h3>Per model</h3>
          <UsageTable
            rows={data.byModel.map((r) => ({ ...r, name: r.model }))}
            pay={pay}
            testId="usage-by-model"
          />
        </>
      )}
    </Card>
  );
}

function UsageTable(props: {
  rows: (UsageSummary["total"] & { name: string })[];
  pay: (v: string) => string;
  testId: string;
}) {
  return (
    <Table
      head={["", "Requests", "Tokens in / out", "Cost", "TTFT p50 / p95", "Latency p50 / p95"]}
      testId={props.testId}
    >
      {props.rows.map((r) => (
        <tr key={r.name}>
          <td>{r.name}</td>
          <td>
            {formatCount(r.requests)}
            {r.failed ? <span className="muted"> ({r.failed} failed)</span> : null}
          </td>
          <td>
            {formatCount(r.inputTokens)} / {formatCount(r.outputTokens)}
          </td>
          <td>{props.pay(r.cost)}</td>
          <td>
            {formatMs(r.ttftP50)} / {formatMs(r.ttftP95)}
          </td>
          <td>
            {formatMs(r.latencyP50)} / {formatMs(r.latencyP95)}
          </td>
        </tr>
      ))}
    </Table>
  );
}

/** Suppliers ranked by the gateway's score, beside what the chain says they earned. */
function Leaderboard(props: { network: NetworkResponse }) {
  const { data } = useLive<ReputationView>("/api/reputation", { pollMs: 10_000 });
  const { status } = props.network;
  const earned = new Map(status.suppliers.map((s) => [s.address.toLowerCase(), s.earned]));
  const rows = [...(data?.rows ?? [])].sort((a, b) => (b.score ?? -1) - (a.score ?? -1));
  return (
    <Card title="Supplier leaderboard" testId="leaderboard">
      {!data ? null : !data.available ? (
        <Empty title="The gateway publishes no reputation." testId="leaderboard-empty">
          {data.message}
        </Empty>
      ) : rows.length === 0 ? (
        <Empty title="No supplier has been scored yet.">
          Scores appear once the gateway has checked some traffic.
        </Empty>
      ) : (
        <Table head={["#", "Supplier", "Service", "State", "Score", "Checks", "Evidence", "Earned on chain"]}>
          {rows.map((r, i) => (
            <tr key={`${r.supplier}-${r.service}`}>
              <td>{i + 1}</td>
              <td>
                <Addr value={r.supplier} to={`/supplier/${r.supplier}`} />
              </td>
              <td>{r.service}</td>
              <td>{r.state}</td>
              <td>{r.score === null ? "—" : r.score.toFixed(2)}</td>
              <td>{describeChecks(r.checks)}</td>
              <td>{describeEvidence(r.evidence)}</td>
              <td>{formatAmount(earned.get(r.supplier.toLowerCase()) ?? "0", status.tokens.payment)}</td>
            </tr>
          ))}
        </Table>
      )}
    </Card>
  );
}
