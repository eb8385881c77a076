// The JSON-lines logger shared by Decai's servers.
export { createLogger, type LogFields, type Logger, type LogLevel, silentLogger } from "@decai/observability";
