export { dashboardPaths, ensureDashboardBuilt, isFresh } from "./server/build.js";
export { GatewayLink, type ReputationRow, type ReputationView } from "./server/gatewayLink.js";
export { type DashboardOptions, type RunningDashboard, startDashboard } from "./server/startDashboard.js";
export { StatusWatcher, type WatchedStatus } from "./server/statusWatcher.js";
export { percentile, summarizeUsage, type UsageStats, type UsageSummary } from "./server/usageSummary.js";
