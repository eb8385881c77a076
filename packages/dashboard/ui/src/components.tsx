import type { ClaimStage } from "@decai/chain";
import type { MouseEvent, ReactNode } from "react";
import { navigate } from "./router.js";

/** A titled box. */
export function Card(props: {
  title?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  return (
    <section className="card" data-testid={props.testId}>
      {(props.title || props.actions) && (
        <header className="card-head">
          {props.title && <h2>{props.title}</h2>}
          {props.actions && <div className="card-actions">{props.actions}</div>}
        </header>
      )}
      {props.children}
    </section>
  );
}

/** A big number with its label. */
export function Stat(props: { label: string; value: ReactNode; hint?: ReactNode; testId?: string }) {
  return (
    <div className="stat">
      <div className="stat-label">{props.label}</div>
      <div className="stat-value" data-testid={props.testId}>
        {props.value}
      </div>
      {props.hint && <div className="stat-hint">{props.hint}</div>}
    </div>
  );
}

/** A row of stats that wraps on narrow screens. */
export function Stats(props: { children: ReactNode }) {
  return <div className="stats">{props.children}</div>;
}

/** Nothing to show yet, and what to do about it. */
export function Empty(props: { title: string; children?: ReactNode; testId?: string }) {
  return (
    <div className="empty" data-testid={props.testId}>
      <strong>{props.title}</strong>
      {props.children && <div>{props.children}</div>}
    </div>
  );
}

/** An error, said plainly. */
export function ErrorBox(props: { error: { message: string } | string | undefined; prefix?: string }) {
  if (!props.error) return null;
  const message = typeof props.error === "string" ? props.error : props.error.message;
  return (
    <div className="error" role="alert">
      {props.prefix ? `${props.prefix}: ` : ""}
      {message}
    </div>
  );
}

/** Shown while the first answer is on its way. */
export function Loading(props: { what: string }) {
  return <div className="loading">Loading {props.what}…</div>;
}

/** An in-app link (no page reload). */
export function Link(props: { to: string; children: ReactNode; className?: string; testId?: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.to);
  };
  return (
    <a href={props.to} onClick={onClick} className={props.className} data-testid={props.testId}>
      {props.children}
    </a>
  );
}

/** An address, shortened, with the full one on hover; a link when `to` is given. */
export function Addr(props: { value: string; to?: string }) {
  const short = `${props.value.slice(0, 6)}…${props.value.slice(-4)}`;
  const text = (
    <code className="addr" title={props.value}>
      {short}
    </code>
  );
  return props.to ? <Link to={props.to}>{text}</Link> : text;
}

/** A claim's stage as a coloured badge. */
export function StageBadge(props: { stage: ClaimStage }) {
  return <span className={`badge stage-${props.stage.replace(" ", "-")}`}>{props.stage}</span>;
}

/** A table that scrolls sideways inside its card on narrow screens instead of widening the page. */
export function Table(props: { head: ReactNode[]; children: ReactNode; testId?: string }) {
  return (
    <div className="table-wrap">
      <table data-testid={props.testId}>
        <thead>
          <tr>
            {props.head.map((h, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: headers are static
              <th key={i}>{h}</th>
            ))}
          </tr>
        </thead>
        <tbody>{props.children}</tbody>
      </table>
    </div>
  );
}
