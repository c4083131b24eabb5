#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx's loader: one process, so a signal to this PID
// reaches the program itself (an `npx tsx` wrapper would leave its child running).
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
