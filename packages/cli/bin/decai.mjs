#!/usr/bin/env node
// The workspace ships TypeScript sources; tsx compiles them on the fly so `npx decai` works right after
// `npm install`, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
