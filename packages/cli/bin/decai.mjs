#!/usr/bin/env node
// The workspace ships TypeScript sources; tsx compiles them on the fly so `npx decai` works right after
// `npm install`, with no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
const code = await main(process.argv.slice(2));
// Exit explicitly: llama.cpp's native threads (devnet, relayminer start) may outlive their handles otherwise.
process.exit(code);
