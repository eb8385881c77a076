import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { useLiveStatus } from "./api.js";
import { Empty, Link } from "./components.js";
import { formatCount } from "./format.js";
import { ConsolePage } from "./pages/ConsolePage.js";
import { NetworkPage } from "./pages/NetworkPage.js";
import { SourcePage } from "./pages/SourcePage.js";
import { SupplierPage } from "./pages/SupplierPage.js";
import { usePath } from "./router.js";
import "./styles.css";

function App() {
  const path = usePath();
  const live = useLiveStatus();
  const supplier = /^\/supplier\/([^/]+)\/?$/.exec(path);
  const source = /^\/source\/([^/]+)\/?$/.exec(path);
  let page = (
    <Empty title="There is no such page.">
      Go to the <Link to="/">network</Link>.
    </Empty>
  );
  if (path === "/") page = <NetworkPage />;
  else if (path === "/console" || path === "/console/") page = <ConsolePage />;
  else if (supplier?.[1]) page = <SupplierPage key={supplier[1]} address={supplier[1]} />;
  else if (source?.[1]) page = <SourcePage key={source[1]} address={source[1]} />;
  const tab = (to: string, label: string, active: boolean) => (
    <Link to={to} className={active ? "tab active" : "tab"}>
      {label}
    </Link>
  );
  return (
    <>
      <header className="top">
        <Link to="/" className="brand">
          <span className="logo" /> Decai
        </Link>
        <nav>
          {tab("/", "Network", path === "/" || Boolean(supplier) || Boolean(source))}
          {tab("/console", "Gateway console", path.startsWith("/console"))}
        </nav>
        <span
          className={live.connected ? "live on" : "live"}
          data-testid="live"
          title="Updates arrive with every block"
        >
          <span className="dot" />
          {live.connected ? (live.block ? `block ${formatCount(live.block)}` : "live") : "connecting…"}
        </span>
      </header>
      <main>{page}</main>
    </>
  );
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
