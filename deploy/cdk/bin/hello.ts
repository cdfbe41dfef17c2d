#!/usr/bin/env node
// The CDK app: one stack with the `hello` function. `npx cdk deploy` from deploy/cdk.
import * as cdk from 'aws-cdk-lib';
import { HelloStack } from '../lib/hello-stack';

const app = new cdk.App();
new HelloStack(app, 'HelloStack');
