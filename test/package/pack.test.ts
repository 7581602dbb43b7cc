// The published package as a consumer gets it: `npm pack`, installed into a fresh CDK app written in plain
// JavaScript, which imports EventStore and synthesizes offline, from CommonJS and from ESM; a TypeScript app set
// up as `cdk init app` does type-checks against the declarations; the client loads from both module systems; the
// remote console's bin runs.
// `npm test` builds the package first (scripts/run-tests.ts), so the pack itself runs no scripts.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const ours = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** Runs a command in `cwd` and returns its standard output; its standard error shows in the test log on failure. */
function run(command: string, args: string[], cwd: string): string {
  return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 300_000 });
}

const appSource = (load: string) => `${load}
const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, "Consumer");
const store = new EventStore(stack, "Events");
store.subscribeQueue(new Queue(stack, "Orders", { enforceSSL: true }), { streamTypes: ["order"] });
app.synth();
`;

const cjsApp = appSource(`const { App, Stack } = require("aws-cdk-lib");
const { Queue } = require("aws-cdk-lib/aws-sqs");
const { EventStore } = require("${ours.name}");`);

const esmApp = appSource(`import { App, Stack } from "aws-cdk-lib";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { EventStore } from "${ours.name}";`);

// As `cdk init app --language typescript` writes it: CommonJS package, module NodeNext, no skipLibCheck.
const tsApp = `import { App, Stack } from "aws-cdk-lib";
import { Role, AccountPrincipal } from "aws-cdk-lib/aws-iam";
import { FunctionUrlAuthType } from "aws-cdk-lib/aws-lambda";
import { EventStore, type EventStoreProps } from "${ours.name}";
import { EventStoreClient, WrongExpectedRevision } from "${ours.name}/client";

const props: EventStoreProps = { authType: FunctionUrlAuthType.AWS_IAM, fifoTopic: true };
const stack = new Stack(new App(), "Consumer");
const store = new EventStore(stack, "Events", props);
store.grantAppend(new Role(stack, "Writer", { assumedBy: new AccountPrincipal("123456789012") }));
const url: string = store.apiUrl;
const client = new EventStoreClient({ url, auth: "iam", region: "eu-west-1" });
export const check = (error: unknown) => error instanceof WrongExpectedRevision && error.currentRevision + 1;
export { client };
`;

const tsConfig = {
  compilerOptions: {
    target: "ES2022",
    module: "NodeNext",
    moduleResolution: "NodeNext",
    lib: ["es2022", "dom"],
    declaration: true,
    strict: true,
    noEmit: true,
    types: ["node"],
  },
  include: ["app.ts"],
};

describe("the packed package in a fresh CDK app", () => {
  let work: string;
  let app: string;
  let packed: string[];

  before(() => {
    work = mkdtempSync(join(tmpdir(), "event-store-pack-"));
    const [tarball] = JSON.parse(
      run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", work], root),
    ) as {
      filename: string;
      files: { path: string }[];
    }[];
    assert.ok(tarball);
    packed = tarball.files.map((file) => file.path);
    app = join(work, "app");
    mkdirSync(app);
    const cdk = {
      "aws-cdk-lib": ours.devDependencies["aws-cdk-lib"],
      constructs: ours.devDependencies.constructs,
      "@types/node": ours.devDependencies["@types/node"],
    };
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({
        name: "consumer",
        private: true,
        dependencies: { [ours.name]: `file:../${tarball.filename}`, ...cdk },
      }),
    );
    // From npm's cache when it has them (this repository's install put them there); no scripts, as a cautious user.
    run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"], app);
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  it("ships compiled JavaScript, declarations and the handler bundles, and no sources, tests or local tooling", () => {
    for (const file of [
      "dist/index.js",
      "dist/index.cjs",
      "dist/client.js",
      "dist/client.cjs",
      "dist/types/lib/index.d.ts",
      "dist/types-cjs/client/index.d.ts",
      "dist/handlers/api/index.mjs",
      "dist/handlers/change-feed/index.mjs",
      "dist/handlers/operations/index.mjs",
      "dist/console/index.js",
      "dist/console/static/index.html",
      "dist/console/static/console.js",
    ]) {
      assert.ok(packed.includes(file), `${file} is in the package`);
    }
    assert.deepEqual(
      packed.filter(
        (file) =>
          /^(lambdas|lib|local|test|scripts|bench|bin|client)\//.test(file) ||
          (file.endsWith(".ts") && !file.endsWith(".d.ts")),
      ),
      [],
    );
    const installed = JSON.parse(readFileSync(join(app, "node_modules", ours.name, "package.json"), "utf8"));
    assert.equal(installed.scripts?.postinstall, undefined, "no install script runs in a consumer's install");
    // What a consumer's install brings: no bundler, no TypeScript runner, no local SNS/SQS, no DynamoDB Local.
    for (const absent of ["esbuild", "tsx", "fauxqs", "@sinclair/typebox", "@aws-lambda-powertools/logger"]) {
      assert.equal(existsSync(join(app, "node_modules", absent)), false, `${absent} is not installed`);
    }
    assert.equal(existsSync(join(app, "node_modules", ours.name, ".ddblocal")), false);
  });

  for (const [format, file, source] of [
    ["CommonJS (require)", "app.cjs", cjsApp],
    ["ESM (import)", "app.mjs", esmApp],
  ] as const) {
    it(`synthesizes offline from ${format}, deploying the prebuilt bundles`, () => {
      writeFileSync(join(app, file), source);
      const outdir = join(app, `cdk.out.${file}`);
      // No credentials and no network needed: synth reads nothing from AWS.
      execFileSync(process.execPath, [file, outdir], {
        cwd: app,
        stdio: ["ignore", "pipe", "pipe"],
        env: { PATH: process.env.PATH, HOME: app },
      });
      const template = JSON.parse(readFileSync(join(outdir, "Consumer.template.json"), "utf8")) as {
        Resources: Record<string, { Type: string; Properties: { Handler?: string } }>;
      };
      const functions = Object.values(template.Resources).filter((r) => r.Type === "AWS::Lambda::Function");
      assert.equal(functions.length, 3);
      assert.ok(functions.every((fn) => fn.Properties.Handler === "index.handler"));
      const assets = readdirSync(outdir).filter((name) => name.startsWith("asset."));
      const bundles = assets.filter((asset) => existsSync(join(outdir, asset, "index.mjs")));
      assert.equal(bundles.length, 3, "three handler bundles are the functions' assets");
    });
  }

  it("type-checks a TypeScript app set up as `cdk init app` does, against the declarations", () => {
    writeFileSync(join(app, "app.ts"), tsApp);
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify(tsConfig));
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
      cwd: app,
      stdio: ["ignore", "pipe", "pipe"],
    });
  });

  it("installs the remote console as the bin event-store-console, which runs from dist/ and prints its usage", () => {
    const usage = run(join(app, "node_modules", ".bin", "event-store-console"), ["--help"], app);
    assert.match(usage, /^Usage: event-store-console --url URL/);
  });

  it("loads the client from CommonJS and from ESM", () => {
    const probe = "new EventStoreClient({ url: 'http://127.0.0.1:1/', auth: 'none' }).constructor.name";
    const cjs = `const { EventStoreClient } = require("${ours.name}/client"); console.log(${probe});`;
    const esm = `import { EventStoreClient } from "${ours.name}/client"; console.log(${probe});`;
    assert.equal(run(process.execPath, ["-e", cjs], app).trim(), "EventStoreClient");
    assert.equal(run(process.execPath, ["--input-type=module", "-e", esm], app).trim(), "EventStoreClient");
  });
});
