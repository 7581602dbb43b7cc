/**
 * Which AWS actions (DynamoDB, SNS, SQS, S3) a function's code can call, read from the code itself with the TypeScript
 * compiler.
 *
 * Bundles are too coarse for this: both functions bundle the whole `StreamStore` facade, so the API's bundle holds
 * the summary upkeep and the change feed's holds the append. Instead this follows the code from the Lambda entry
 * (`lambda.ts`) to what it reaches: the functions, methods and variables it calls or refers to, through imports
 * and method calls resolved by the type checker (`store.append(…)` → `StreamStore.append` → `appendEvents` → …).
 * A class that is constructed contributes its constructor and field initializers, not its other methods. In what
 * is reached, every `new XCommand(…)` of `@aws-sdk/lib-dynamodb`, `@aws-sdk/client-dynamodb`, `@aws-sdk/client-sns`,
 * `@aws-sdk/client-sqs` or `@aws-sdk/client-s3` is mapped to the IAM actions that authorize it, also when the class is
 * read from a module imported at run time (`new sdk.PutObjectCommand(…)` after `sdk = await import(…)`). A function
 * that is reached contributes all of its body: every method of an object it returns counts as called (so every
 * function that builds `s3PayloadObjects` needs what all of its methods send). It errs towards finding too much (a function
 * passed along counts as called), which a test comparing with the role then reports.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const projectRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
/** DynamoDB's IAM actions per command class (the document client's and the low-level client's names). */
const dynamoDbActions: Record<string, string[]> = {
  Put: ["dynamodb:PutItem"],
  PutItem: ["dynamodb:PutItem"],
  Get: ["dynamodb:GetItem"],
  GetItem: ["dynamodb:GetItem"],
  Update: ["dynamodb:UpdateItem"],
  UpdateItem: ["dynamodb:UpdateItem"],
  Delete: ["dynamodb:DeleteItem"],
  DeleteItem: ["dynamodb:DeleteItem"],
  Query: ["dynamodb:Query"],
  Scan: ["dynamodb:Scan"],
  BatchGet: ["dynamodb:BatchGetItem"],
  BatchGetItem: ["dynamodb:BatchGetItem"],
  BatchWrite: ["dynamodb:BatchWriteItem"],
  BatchWriteItem: ["dynamodb:BatchWriteItem"],
  TransactGet: ["dynamodb:GetItem"],
  TransactGetItems: ["dynamodb:GetItem"],
};

/** The SDK packages followed, with the IAM actions of their commands; a batch is authorized as its single call. */
const actionsByPackage: Record<string, Record<string, string[]>> = {
  "/@aws-sdk/lib-dynamodb/": dynamoDbActions,
  "/@aws-sdk/client-dynamodb/": dynamoDbActions,
  "/@aws-sdk/client-sns/": { Publish: ["sns:Publish"], PublishBatch: ["sns:Publish"] },
  "/@aws-sdk/client-sqs/": { SendMessage: ["sqs:SendMessage"], SendMessageBatch: ["sqs:SendMessage"] },
  // A pre-signed URL acts with the signer's permissions: signing a command needs what sending it would.
  "/@aws-sdk/client-s3/": {
    PutObject: ["s3:PutObject"],
    GetObject: ["s3:GetObject"],
    HeadObject: ["s3:GetObject"],
    CopyObject: ["s3:GetObject", "s3:PutObject"],
    DeleteObject: ["s3:DeleteObject"],
    DeleteObjects: ["s3:DeleteObject"],
    ListObjectsV2: ["s3:ListBucket"],
  },
};
/** TransactWriteItems is authorized per item, by the action of the item's kind. */
const transactWriteCommands = new Set(["TransactWrite", "TransactWriteItems"]);
const actionsByTransactItem: Record<string, string> = {
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  ConditionCheck: "dynamodb:ConditionCheckItem",
};

export interface SdkCalls {
  /** The command classes constructed, e.g. `PutCommand`, with their package and the file they are constructed in. */
  commands: Array<{ command: string; pkg: string; file: string }>;
  /** The IAM actions those commands need, sorted. */
  actions: string[];
}

function createProgram(entries: string[]): ts.Program {
  const configPath = join(projectRoot, "tsconfig.json");
  const config = ts.readConfigFile(configPath, ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, projectRoot);
  return ts.createProgram(
    entries.map((entry) => join(projectRoot, entry)),
    { ...parsed.options, noEmit: true },
  );
}

function isProjectSource(file: ts.SourceFile): boolean {
  return !file.isDeclarationFile && !file.fileName.includes("/node_modules/");
}

/** The AWS calls reachable from each entry (paths relative to the project root). */
export function sdkCallsFrom(entries: string[]): Map<string, SdkCalls> {
  const program = createProgram(entries);
  const checker = program.getTypeChecker();
  const result = new Map<string, SdkCalls>();
  for (const entry of entries) {
    const source = program.getSourceFile(join(projectRoot, entry));
    if (!source) throw new Error(`${entry} is not in the program`);
    result.set(entry, reachableCalls(source, checker));
  }
  return result;
}

function reachableCalls(entry: ts.SourceFile, checker: ts.TypeChecker): SdkCalls {
  const visited = new Set<ts.Node>();
  const queue: ts.Node[] = [entry];
  const commands: SdkCalls["commands"] = [];
  const transactItemKinds = new Set<string>();

  const declarationsOf = (symbol: ts.Symbol | undefined): ts.Declaration[] => {
    if (!symbol) return [];
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    return (target.declarations ?? []).filter((declaration) => isProjectSource(declaration.getSourceFile()));
  };
  // What of a declaration runs when it is reached.
  const enqueue = (declaration: ts.Declaration, constructed: boolean) => {
    if (ts.isClassDeclaration(declaration) || ts.isClassExpression(declaration)) {
      if (!constructed) return;
      for (const member of declaration.members) {
        if (ts.isConstructorDeclaration(member) || ts.isPropertyDeclaration(member)) queue.push(member);
      }
    } else if (
      ts.isFunctionLike(declaration) ||
      ts.isVariableDeclaration(declaration) ||
      ts.isPropertyDeclaration(declaration) ||
      ts.isPropertyAssignment(declaration)
    ) {
      queue.push(declaration);
    }
  };
  const sdkCommand = (expression: ts.Expression): { name: string; pkg: string } | undefined => {
    // An imported class (an alias), or a member of a module namespace (`sdk.PutObjectCommand`).
    const symbol = checker.getSymbolAtLocation(expression);
    if (!symbol) return undefined;
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const files = (target.declarations ?? []).map((declaration) => declaration.getSourceFile().fileName);
    const pkg = Object.keys(actionsByPackage).find((name) => files.some((file) => file.includes(name)));
    const match = /^(\w+)Command$/.exec(target.name);
    return pkg && match?.[1] ? { name: match[1], pkg } : undefined;
  };

  // Inside an S3 command's input, `Delete: {…}` is DeleteObjects' list, not an item of a DynamoDB transaction.
  const insideS3Input = (node: ts.Node): boolean => {
    for (let parent = node.parent; parent; parent = parent.parent) {
      if (ts.isNewExpression(parent) && sdkCommand(parent.expression)?.pkg === "/@aws-sdk/client-s3/") return true;
    }
    return false;
  };
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node)) {
      const command = sdkCommand(node.expression);
      if (command) {
        commands.push({ command: `${command.name}Command`, pkg: command.pkg, file: node.getSourceFile().fileName });
      }
      for (const declaration of declarationsOf(checker.getSymbolAtLocation(node.expression))) {
        enqueue(declaration, true);
      }
    } else if (ts.isPropertyAssignment(node) && sdkCommand(node.initializer)) {
      // A command class named as a value (dynamodb-wire.ts's action table): the action is sent by its name.
      const command = sdkCommand(node.initializer) as { name: string; pkg: string };
      commands.push({ command: `${command.name}Command`, pkg: command.pkg, file: node.getSourceFile().fileName });
    } else if (ts.isShorthandPropertyAssignment(node)) {
      for (const declaration of declarationsOf(checker.getShorthandAssignmentValueSymbol(node))) {
        enqueue(declaration, false);
      }
    } else if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
      for (const declaration of declarationsOf(checker.getSymbolAtLocation(node))) enqueue(declaration, false);
    } else if (
      ts.isPropertyAssignment(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text in actionsByTransactItem &&
      !insideS3Input(node)
    ) {
      transactItemKinds.add(node.name.text);
    }
    ts.forEachChild(node, visit);
  };

  while (queue.length > 0) {
    const node = queue.pop() as ts.Node;
    if (visited.has(node)) continue;
    visited.add(node);
    // A whole file is reached through its entry only: its imports and top-level statements run on load.
    if (ts.isSourceFile(node)) ts.forEachChild(node, visit);
    else visit(node);
  }

  const actions = new Set<string>();
  for (const { command, pkg } of commands) {
    const name = command.replace(/Command$/, "");
    if (transactWriteCommands.has(name)) {
      for (const kind of transactItemKinds) actions.add(actionsByTransactItem[kind] as string);
      continue;
    }
    const mapped = actionsByPackage[pkg]?.[name];
    if (!mapped) throw new Error(`no IAM actions known for ${command} of ${pkg}: add it to actionsByPackage`);
    for (const action of mapped) actions.add(action);
  }
  return { commands, actions: [...actions].sort() };
}
