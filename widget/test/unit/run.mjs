// run.mjs runs the console's unit tests (test/unit/*.test.mjs) with node's
// test runner. The tests import TypeScript sources directly: esbuild bundles
// each test file into a scratch directory first (Node 20 cannot load .ts).
//
//   node test/unit/run.mjs      (also run by build.mjs, so by make test)
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** runUnitTests bundles and runs every unit test; resolves to the exit status. */
export async function runUnitTests() {
  const here = dirname(fileURLToPath(import.meta.url));
  const tests = readdirSync(here).filter((f) => f.endsWith(".test.mjs")).sort();
  const out = mkdtempSync(join(tmpdir(), "helpr-unit-"));
  try {
    await build({
      entryPoints: tests.map((f) => join(here, f)),
      outdir: out,
      bundle: true,
      format: "esm",
      platform: "node",
      target: ["node20"],
      outExtension: { ".js": ".mjs" },
      logLevel: "warning",
    });
    const files = tests.map((f) => join(out, f));
    const r = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], { stdio: "inherit" });
    return r.status ?? 1;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exit(await runUnitTests());
