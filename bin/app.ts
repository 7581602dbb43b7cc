#!/usr/bin/env node
// The CDK app (cdk.json runs it): one event store stack, chosen by `-c stage=…` (default dev).
import { App } from "aws-cdk-lib";
import { addEventStoreStack } from "#lib/event-store-app.ts";

addEventStoreStack(new App());
