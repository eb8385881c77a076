import type { TokenInfo } from "@decai/chain";
import { type FormEvent, useState } from "react";
import { type AdminKey, api, useLive } from "../api.js";
import { Card, Empty, ErrorBox, Table } from "../components.js";
import { formatAmount, formatCount, parseTokens } from "../format.js";

type Limits = AdminKey["limits"];
type Draft = { name: string; budget: string; period: Limits["period"]; rpm: string; tpm: string };

const emptyDraft: Draft = { name: "", budget: "", period: "month", rpm: "", tpm: "" };

/** The gateway's API keys: create (the secret shown once), change budgets and limits, revoke. */
export function KeysCard(props: { adminToken: string; token: TokenInfo }) {
  const { data, error, reload } = useLive<{ data: AdminKey[] }>("/api/gateway/keys", {
    adminToken: props.adminToken,
    pollMs: 10_000,
  });
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const [editing, setEditing] = useState<string>();
  const [created, setCreated] = useState<{ name: string; key: string }>();
  const [actionError, setActionError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const run = async (action: () => Promise<void>) => {
    setBusy(true);
    setActionError(undefined);
    try {
      await action();
      reload();
    } catch (e) {
      setActionError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const create = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const limits = toLimits(draft, props.token);
      const key = await api<AdminKey & { key: string }>("/api/gateway/keys", {
        method: "POST",
        adminToken: props.adminToken,
        body: { name: draft.name.trim() || "unnamed", limits },
      });
      setCreated({ name: key.name, key: key.key });
      setDraft(emptyDraft);
    });
  };
  const save = (id: string, edit: Draft) =>
    run(async () => {
      await api(`/api/gateway/keys/${encodeURIComponent(id)}`, {
        method: "PATCH",
        adminToken: props.adminToken,
        body: { name: edit.name, limits: toLimits(edit, props.token) },
      });
      setEditing(undefined);
    });
  const revoke = (key: AdminKey) =>
    run(async () => {
      if (!window.confirm(`Revoke "${key.name}" (${key.prefix}…)? Requests with it fail from now on.`))
        return;
      await api(`/api/gateway/keys/${encodeURIComponent(key.id)}`, {
        method: "DELETE",
        adminToken: props.adminToken,
      });
    });

  const keys = data?.data ?? [];
  return (
    <Card title="API keys" testId="keys">
      <ErrorBox error={error} prefix="Cannot list the keys" />
      <ErrorBox error={actionError} />
      {created && (
        <div className="secret" data-testid="created-key">
          <div>
            Key <strong>{created.name}</strong> created. Copy it now: the gateway shows it only once.
          </div>
          <code className="break">{created.key}</code>
          <button type="button" className="link" onClick={() => setCreated(undefined)}>
            Done
          </button>
        </div>
      )}
      <form className="form-row" onSubmit={create} data-testid="create-key">
        <LimitFields draft={draft} onChange={setDraft} symbol={props.token.symbol} />
        <button type="submit" disabled={busy}>
          Create key
        </button>
      </form>
      {data && keys.length === 0 ? (
        <Empty title="No API keys yet.">
          Create one above, then use it as OPENAI_API_KEY against the gateway.
        </Empty>
      ) : (
        <Table
          head={["Name", "Key", "Budget", "Spent this period", "Limits", "Created", ""]}
          testId="keys-table"
        >
          {keys.map((k) =>
            editing === k.id ? (
              <tr key={k.id} className="editing">
                <td colSpan={7}>
                  <EditRow
                    keyRecord={k}
                    token={props.token}
                    onSave={(d) => save(k.id, d)}
                    onCancel={() => setEditing(undefined)}
                  />
                </td>
              </tr>
            ) : (
              <tr key={k.id} data-testid={`key-${k.name}`} className={k.revokedAt ? "revoked" : ""}>
                <td>{k.name}</td>
                <td>
                  <code>{k.prefix}…</code>
                </td>
                <td>{budget(k.limits, props.token)}</td>
                <td>
                  {k.spend ? formatAmount(k.spend.costSpent, props.token) : "—"}
                  {k.spend && k.spend.tokensSpent > 0 ? ` · ${formatCount(k.spend.tokensSpent)} tokens` : ""}
                </td>
                <td>
                  {k.limits.rpm ? `${k.limits.rpm} rpm` : "no rpm"},{" "}
                  {k.limits.tpm ? `${formatCount(k.limits.tpm)} tpm` : "no tpm"}
                </td>
                <td>{new Date(k.createdAt).toLocaleString()}</td>
                <td className="actions">
                  {k.revokedAt ? (
                    <span className="badge stage-void">revoked</span>
                  ) : (
                    <>
                      <button type="button" className="link" onClick={() => setEditing(k.id)} disabled={busy}>
                        Edit
                      </button>
                      <button type="button" className="danger" onClick={() => revoke(k)} disabled={busy}>
                        Revoke
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ),
          )}
        </Table>
      )}
    </Card>
  );
}

function EditRow(props: {
  keyRecord: AdminKey;
  token: TokenInfo;
  onSave: (d: Draft) => void;
  onCancel: () => void;
}) {
  const { limits, name } = props.keyRecord;
  const [draft, setDraft] = useState<Draft>({
    name,
    budget: limits.costBudget
      ? (formatAmount(limits.costBudget, props.token, 18).split(" ")[0]?.replace(/,/g, "") ?? "")
      : "",
    period: limits.period,
    rpm: limits.rpm?.toString() ?? "",
    tpm: limits.tpm?.toString() ?? "",
  });
  return (
    <form
      className="form-row"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSave(draft);
      }}
    >
      <LimitFields draft={draft} onChange={setDraft} symbol={props.token.symbol} />
      <button type="submit">Save</button>
      <button type="button" className="link" onClick={props.onCancel}>
        Cancel
      </button>
    </form>
  );
}

function LimitFields(props: { draft: Draft; onChange: (d: Draft) => void; symbol: string }) {
  const { draft, onChange } = props;
  const field = (name: keyof Draft) => (e: { target: { value: string } }) =>
    onChange({ ...draft, [name]: e.target.value });
  return (
    <>
      <label>
        Name
        <input value={draft.name} onChange={field("name")} placeholder="acme" name="name" />
      </label>
      <label>
        Budget ({props.symbol})
        <input
          value={draft.budget}
          onChange={field("budget")}
          placeholder="no limit"
          inputMode="decimal"
          name="budget"
        />
      </label>
      <label>
        Per
        <select value={draft.period} onChange={field("period")} name="period">
          <option value="month">month</option>
          <option value="day">day</option>
          <option value="none">ever</option>
        </select>
      </label>
      <label>
        Requests/min
        <input
          value={draft.rpm}
          onChange={field("rpm")}
          placeholder="no limit"
          inputMode="numeric"
          name="rpm"
        />
      </label>
      <label>
        Tokens/min
        <input
          value={draft.tpm}
          onChange={field("tpm")}
          placeholder="no limit"
          inputMode="numeric"
          name="tpm"
        />
      </label>
    </>
  );
}

/** The draft as the admin API's limits; throws a message the form shows when a field is not a number. */
function toLimits(d: Draft, token: TokenInfo) {
  const whole = (text: string, what: string) => {
    if (text.trim() === "") return null;
    if (!/^\d+$/.test(text.trim())) throw new Error(`${what} must be a whole number, or empty for no limit`);
    return Number(text.trim());
  };
  let costBudget: string | null = null;
  if (d.budget.trim() !== "") {
    costBudget = parseTokens(d.budget, token) ?? null;
    if (costBudget === null) throw new Error(`the budget must be an amount of ${token.symbol}, like 2.5`);
  }
  return { costBudget, period: d.period, rpm: whole(d.rpm, "requests/min"), tpm: whole(d.tpm, "tokens/min") };
}

function budget(limits: Limits, token: TokenInfo): string {
  if (limits.costBudget === null) return "no limit";
  const per = limits.period === "none" ? "" : ` / ${limits.period}`;
  return `${formatAmount(limits.costBudget, token)}${per}`;
}
