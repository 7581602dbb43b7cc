/**
 * Part 5 alone (bench/bundles.ts), in a few seconds: `node --import tsx bench/cold-start.ts [--runs N]` bundles the
 * handlers as `npm run bench` does, starts N fresh processes per bundle (default 20, interleaved) and prints the
 * cold-init figures and our share of cold start (api − sdk-clients-only). For working on the cold start without the
 * whole bench; nothing is written to bench/results/.
 */
import { localAwsEnvironment } from "#local/aws-local.ts";
import { measureBundles } from "./bundles.ts";

const runsFlag = process.argv.indexOf("--runs");
const coldStarts = runsFlag >= 0 ? Number(process.argv[runsFlag + 1]) : 20;
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
Object.assign(process.env, localAwsEnvironment());

const result = await measureBundles({ coldStarts });
const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
console.log(`part 5, target ${result.target}, ${coldStarts} processes per bundle, interleaved`);
for (const b of result.bundles) {
  const c = b.coldInit;
  console.log(
    [
      b.name.padEnd(40),
      kib(b.bytes).padStart(10),
      `init ${c.medianMs.toFixed(1)} ms (${c.p10Ms.toFixed(1)}–${c.p90Ms.toFixed(1)})`.padEnd(30),
      `from start ${c.medianSinceProcessStartMs.toFixed(1)} ms (${c.p10SinceProcessStartMs.toFixed(1)}–${c.p90SinceProcessStartMs.toFixed(1)})`,
    ].join("  "),
  );
}
console.log(`our share of cold start: ${result.ourShareMs.toFixed(1)} ms (api − sdk-clients-only, from process start)`);
