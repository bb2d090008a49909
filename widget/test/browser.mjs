// browser.mjs drives helpr's visitor widget and agent console in Debian's
// headless Chromium (playwright-core, never a downloaded browser). The Go test
// cmd/helpr/browser_test.go starts the hub and a host page on another site and
// runs this script; a non-zero exit fails that test with this output. The
// harness is lib.mjs; each module under scenarios/ exports its scenarios.
//
//   HELPR_BROWSER_ONLY=name[,name]   run only these scenarios (development)
//   HELPR_BROWSER_SUITE=name         the suite: main (default: the chat,
//                                    offline, console and widget scenarios) or
//                                    security (scenarios/security.mjs, run by
//                                    cmd/helpr/browser_security_test.go) or
//                                    devplatform (scenarios/devplatform.mjs,
//                                    cmd/helpr/browser_devplatform_test.go)
import { browser, closeContexts, step } from "./lib.mjs";

const suites = { main: ["chat", "offline", "console", "widget"], security: ["security"], devplatform: ["devplatform"] };
const suite = process.env.HELPR_BROWSER_SUITE || "main";
if (!suites[suite]) throw new Error(`HELPR_BROWSER_SUITE: no suite ${suite}`);
// Imported on demand: each module reads the environment its suite sets.
const all = {};
for (const m of suites[suite]) Object.assign(all, (await import(`./scenarios/${m}.mjs`)).scenarios);
const only = (process.env.HELPR_BROWSER_ONLY || "").split(",").filter(Boolean);
for (const name of only) if (!all[name]) throw new Error(`HELPR_BROWSER_ONLY: no scenario ${name}`);

let failed = false;
try {
  for (const [name, run] of Object.entries(all)) {
    if (only.length && !only.includes(name)) continue;
    try {
      await run();
      step("done");
      console.log(`ok   ${name}`);
    } catch (e) {
      failed = true;
      console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    } finally {
      await closeContexts(); // nothing a scenario opened outlives it
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
