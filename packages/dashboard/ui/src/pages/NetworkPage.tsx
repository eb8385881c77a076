import type { FeedItem } from "@decai/chain";
import { type Json, type NetworkResponse, useLive } from "../api.js";
import { Addr, Card, Empty, ErrorBox, Loading, StageBadge, Stat, Stats, Table } from "../components.js";
import { formatAmount, formatCount, shortHex } from "../format.js";

/** The network: services, current session, difficulty, suppliers, sources, applications, claims and the live feed. */
export function NetworkPage() {
  const { data, error } = useLive<NetworkResponse>("/api/network");
  if (!data)
    return error ? (
      <ErrorBox error={error} prefix="The network cannot be shown" />
    ) : (
      <Loading what="the network" />
    );
  const { status, claimCounts } = data;
  const pay = (v: string) => formatAmount(v, status.tokens.payment);
  const paid = status.payments.reduce(
    (sum, p) => sum + BigInt(p.supplierAmount) + BigInt(p.sourceAmount) + BigInt(p.daoAmount),
    0n,
  );
  const pending = claimCounts.claimed + claimCounts["proof required"] + claimCounts.proven;
  return (
    <>
      <ErrorBox error={error ?? data.error} prefix="Showing the last data read" />
      <Stats>
        <Stat label="Block" value={formatCount(status.block)} testId="stat-block" />
        <Stat
          label="Session"
          value={status.session}
          hint={`blocks ${status.startBlock}–${status.endBlock}`}
          testId="stat-session"
        />
        <Stat label="Services" value={status.services.length} testId="stat-services" />
        <Stat label="Suppliers staked" value={status.suppliers.length} testId="stat-suppliers" />
        <Stat label="Claims pending" value={pending} testId="stat-claims-pending" />
        <Stat
          label="Claims settled"
          value={claimCounts.settled}
          hint={`${claimCounts.void} void`}
          testId="stat-claims-settled"
        />
        <Stat label="Paid out" value={pay(paid.toString())} testId="stat-paid" />
      </Stats>

      <Card title="Services" testId="services">
        {status.services.length === 0 ? (
          <Empty title="No services registered yet.">
            A source registers a model with <code>decai source register</code>; <code>decai devnet</code>{" "}
            registers one for you.
          </Empty>
        ) : (
          <Table
            head={[
              "Service",
              "Tier",
              "Model and weights",
              "Source",
              "Input / 1k tokens",
              "Output / 1k tokens",
              "Suppliers",
              "Difficulty",
            ]}
          >
            {byTier(status.services).map((s) => (
              <tr key={s.id} data-testid={`service-${s.name}`}>
                <td>
                  <strong>{s.name}</strong>
                </td>
                <td data-testid="service-tier">
                  {s.tier === "batch" ? (
                    <>
                      <span className="badge tier-batch">batch</span> of {nameOf(status.services, s.batchOf)}
                    </>
                  ) : (
                    <span className="badge">interactive</span>
                  )}
                </td>
                <td>
                  {s.modelName}
                  <br />
                  <code className="muted small" title={s.weightsDigest}>
                    {shortHex(s.weightsDigest, 6)}
                  </code>
                </td>
                <td>
                  <Addr value={s.source} to={`/source/${s.source}`} />{" "}
                  <span className="muted">{s.sourceShareBps / 100}%</span>
                </td>
                {prices(s, status.paymentPerComputeUnit, pay)}
                <td>{s.suppliers.length}</td>
                <td title={`target ${s.difficulty.target}`}>
                  {s.difficulty.relaysPerApplicable <= 1
                    ? "every relay"
                    : `1 in ${formatCount(s.difficulty.relaysPerApplicable)}`}
                </td>
              </tr>
            ))}
          </Table>
        )}
      </Card>

      <div className="columns">
        <Card title="Live feed" testId="feed">
          {status.feed.length === 0 ? (
            <Empty title="No claims, proofs or settlements yet." testId="feed-empty">
              Send a chat request through the gateway: suppliers claim it once its session ends, and it
              settles a few blocks later.
            </Empty>
          ) : (
            <ul className="feed">
              {status.feed.slice(0, 30).map((f) => (
                <li key={`${f.transactionHash}-${f.logIndex}`} className={`feed-${f.kind}`}>
                  <span className="feed-kind">{f.kind}</span>
                  <span className="feed-text">{describe(f, pay)}</span>
                  <span className="muted">#{f.blockNumber}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>

        <Card title="Suppliers" testId="suppliers">
          {status.suppliers.length === 0 ? (
            <Empty title="No supplier is staked.">
              Stake one with <code>decai supplier stake</code> and run <code>decai relayminer start</code>.
            </Empty>
          ) : (
            <Table head={["Supplier", "Stake", "Earned", "Services"]}>
              {status.suppliers.map((s) => (
                <tr key={s.address}>
                  <td>
                    <Addr value={s.address} to={`/supplier/${s.address}`} />
                  </td>
                  <td>{formatAmount(s.stake, status.tokens.stake, 2)}</td>
                  <td>{pay(s.earned)}</td>
                  <td>{s.services.map((x) => x.name).join(", ") || "none"}</td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>

      <Card title="Claims" testId="claims">
        {status.claims.length === 0 ? (
          <Empty title="No claims yet.">
            Claims appear once a session with traffic ends and its claim window opens.
          </Empty>
        ) : (
          <Table head={["Stage", "Service", "Session", "Supplier", "Relays", "CU", "Paid"]}>
            {[...status.claims]
              .reverse()
              .slice(0, 25)
              .map((c) => (
                <tr key={c.key}>
                  <td>
                    <StageBadge stage={c.stage} />
                  </td>
                  <td>{c.service}</td>
                  <td>{c.session}</td>
                  <td>
                    <Addr value={c.supplier} to={`/supplier/${c.supplier}`} />
                  </td>
                  <td>{formatCount(c.rootCount)}</td>
                  <td>{formatCount(c.rootSum)}</td>
                  <td>{c.amount ? pay(c.amount) : "—"}</td>
                </tr>
              ))}
          </Table>
        )}
      </Card>

      <div className="columns">
        <Card title="Sources" testId="sources">
          {status.sources.length === 0 ? (
            <Empty title="No sources yet." />
          ) : (
            <Table head={["Source", "Earned"]}>
              {status.sources.map((s) => (
                <tr key={s.address}>
                  <td>
                    <Addr value={s.address} to={`/source/${s.address}`} />
                  </td>
                  <td>{pay(s.earned)}</td>
                </tr>
              ))}
            </Table>
          )}
          <p className="muted small">
            DAO <Addr value={status.dao.address} /> earned {pay(status.dao.earned)}
          </p>
        </Card>
        <Card title="Applications" testId="applications">
          {status.applications.length === 0 ? (
            <Empty title="No application has an escrow.">
              Stake one with <code>decai app stake</code> and delegate it to a gateway.
            </Empty>
          ) : (
            <Table head={["Application", "Escrow", "Spent", "Gateways"]}>
              {status.applications.map((a) => (
                <tr key={a.address}>
                  <td>
                    <Addr value={a.address} />
                  </td>
                  <td>{pay(a.escrow)}</td>
                  <td>{pay(a.spent)}</td>
                  <td>
                    {a.gateways.length === 0 ? "none" : a.gateways.map((g) => <Addr key={g} value={g} />)}
                  </td>
                </tr>
              ))}
            </Table>
          )}
        </Card>
      </div>
    </>
  );
}

type Service = Json<NetworkResponse["status"]["services"][number]>;

/** The input and output price cells (one cell across both for a service priced per relay). */
function prices(s: Service, perCu: string, pay: (v: string) => string) {
  if (s.cuMode === "per-relay") {
    return (
      <td colSpan={2} data-testid="price-relay">
        {pay((BigInt(s.cuPerRelay) * BigInt(perCu)).toString())} / relay
      </td>
    );
  }
  const k = (cu: string) => pay((BigInt(cu) * BigInt(perCu) * 1000n).toString());
  return (
    <>
      <td data-testid="price-input">{k(s.cuPerInputToken)}</td>
      <td data-testid="price-output">{k(s.cuPerOutputToken)}</td>
    </>
  );
}

/** Services in registration order, each batch tier right under its interactive service to compare prices. */
function byTier(services: Service[]): Service[] {
  const placed = (s: Service) => s.tier === "batch" && services.some((i) => i.id === s.batchOf);
  return services.flatMap((s) =>
    placed(s) ? [] : [s, ...services.filter((t) => t.tier === "batch" && t.batchOf === s.id)],
  );
}

function nameOf(services: Service[], id: string | undefined): string {
  return services.find((s) => s.id === id)?.name ?? (id ? `${id.slice(0, 10)}…` : "?");
}

function describe(f: Json<FeedItem>, pay: (v: string) => string): string {
  const who = f.supplier ? `${f.supplier.slice(0, 6)}…${f.supplier.slice(-4)}` : "";
  switch (f.kind) {
    case "claim":
      return `${who} claimed ${f.rootCount} relays (${f.rootSum} CU) of ${f.service}, session ${f.session}`;
    case "proof":
      return `${who} proved its claim on ${f.service}, session ${f.session}`;
    case "settlement":
      return `${who} settled ${f.service}, session ${f.session}: ${pay(f.amount ?? "0")}`;
    case "void":
      return `${who}'s claim on ${f.service}, session ${f.session} is void (slashed ${f.amount ?? 0})`;
    default:
      return `${f.service} difficulty set from session ${f.effectiveSession} (after session ${f.session})`;
  }
}
