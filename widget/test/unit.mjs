// unit.mjs runs the widget's unit tests, test/unit/*.test.mjs, with
// node:test. The tests import the TypeScript sources directly; esbuild
// bundles each test file into a scratch directory first (no DOM: only pure
// modules are unit-tested). build.mjs runs it on every build and --check.
//
//   node test/unit.mjs
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const unitDir = join(dirname(fileURLToPath(import.meta.url)), "unit");

/** runUnitTests builds and runs every unit test; it reports whether all passed. */
export async function runUnitTests() {
  const files = readdirSync(unitDir).filter((f) => f.endsWith(".test.mjs")).sort();
  if (files.length === 0) return true;
  const out = mkdtempSync(join(tmpdir(), "helpr-unit-"));
  try {
    await build({
      entryPoints: files.map((f) => join(unitDir, f)),
      outdir: out,
      outExtension: { ".js": ".mjs" },
      bundle: true,
      format: "esm",
      platform: "node",
      target: ["node18"],
      logLevel: "warning",
    });
    const built = readdirSync(out).filter((f) => f.endsWith(".mjs")).sort().map((f) => join(out, f));
    const res = spawnSync(process.execPath, ["--test", "--test-reporter=dot", ...built], { stdio: "inherit" });
    return res.status === 0;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exit((await runUnitTests()) ? 0 : 1);
}
