// build.mjs bundles the widget loader, the visitor iframe app and the agent
// console into dist/, minified and without source maps, copies their HTML
// and CSS, and fails when a bundle exceeds its gzipped size budget.
//
//   node build.mjs           type-check, run the unit tests (test/unit/),
//                            build into dist/, check budgets
//   node build.mjs --check   the same, but build into a scratch directory and
//                            fail unless it matches the committed dist/ byte
//                            for byte
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { runUnitTests } from "./test/unit/run.mjs";

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, "src");
const dist = join(root, "dist");
const check = process.argv.includes("--check");

// Each app: its entry, its output name, the static files copied beside it,
// and its gzipped budget in bytes (all of the app's files together).
const apps = [
  { name: "loader", entry: "loader.ts", out: "widget.js", files: [], budget: 3 * 1024 },
  {
    name: "frame", entry: "frame/main.ts", out: "frame.js",
    files: [["frame/frame.html", "frame.html"], ["frame/frame.css", "frame.css"]],
    budget: 40 * 1024,
  },
  {
    name: "console", entry: "console/main.ts", out: "console.js", optional: true,
    files: [["console/console.html", "console.html"], ["console/console.css", "console.css"]],
    budget: 120 * 1024,
  },
];

function typecheck() {
  const tsc = join(root, "node_modules", ".bin", "tsc");
  try {
    execFileSync(tsc, ["--noEmit", "-p", root], { stdio: "inherit" });
  } catch {
    console.error("build: type check failed");
    process.exit(1);
  }
}

async function buildApp(app, outDir) {
  const entry = join(src, app.entry);
  if (!existsSync(entry)) {
    if (app.optional) return null;
    throw new Error(`missing entry ${app.entry}`);
  }
  await build({
    entryPoints: [entry],
    outfile: join(outDir, app.out),
    bundle: true,
    minify: true,
    sourcemap: false,
    format: "iife",
    target: ["es2020"],
    platform: "browser",
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const outputs = [app.out];
  for (const [from, to] of app.files) {
    const path = join(src, from);
    if (!existsSync(path)) continue;
    writeFileSync(join(outDir, to), readFileSync(path));
    outputs.push(to);
  }
  return outputs;
}

function gz(path) {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

async function main() {
  typecheck();
  if ((await runUnitTests()) !== 0) {
    console.error("build: unit tests failed");
    process.exit(1);
  }
  const outDir = check ? mkdtempSync(join(tmpdir(), "helpr-widget-")) : dist;
  mkdirSync(outDir, { recursive: true });
  let failed = false;
  const built = [];
  try {
    for (const app of apps) {
      const outputs = await buildApp(app, outDir);
      if (!outputs) {
        console.log(`${app.name.padEnd(8)} skipped (no src/${app.entry})`);
        continue;
      }
      built.push(...outputs);
      let total = 0;
      const parts = outputs.map((f) => {
        const n = gz(join(outDir, f));
        total += n;
        return `${f} ${n}`;
      });
      const over = total > app.budget;
      failed ||= over;
      console.log(`${app.name.padEnd(8)} ${total} B gz / ${app.budget} B budget${over ? "  OVER BUDGET" : ""}  (${parts.join(", ")})`);
    }
    if (check) failed = compare(outDir, built) || failed;
  } finally {
    if (check) rmSync(outDir, { recursive: true, force: true });
  }
  if (failed) process.exit(1);
}

// compare reports every built file that differs from or is missing in dist/.
function compare(outDir, built) {
  let stale = false;
  for (const f of built) {
    const committed = join(dist, f);
    if (!existsSync(committed) || !readFileSync(committed).equals(readFileSync(join(outDir, f)))) {
      console.error(`check: dist/${f} does not match its sources; run make widget`);
      stale = true;
    }
  }
  if (!stale) console.log(`check: dist/ matches the sources (${built.length} files)`);
  return stale;
}

main().catch((err) => {
  console.error(`build: ${err.message}`);
  process.exit(1);
});
