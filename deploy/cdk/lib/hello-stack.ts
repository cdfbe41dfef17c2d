// lambda-bootstrap's `hello` example on provided.al2023, Graviton (arm64).
//
// The code is the zip that `cargo xtask package --arch arm64 --example hello` writes: a zip is
// uploaded as it is (CDK does not repackage it), and since that zip is byte-identical across
// clean builds, an unchanged function is an unchanged asset and `cdk deploy` has nothing to do.
import * as cdk from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

export class HelloStack extends cdk.Stack {
  constructor(scope: Construct, id: string, props?: cdk.StackProps) {
    super(scope, id, props);

    const hello = new lambda.Function(this, 'Hello', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      architecture: lambda.Architecture.ARM_64,
      // provided.* runtimes start the zip's `bootstrap`; the handler only becomes _HANDLER.
      handler: 'bootstrap',
      // Relative to deploy/cdk, where cdk.json is and where `cdk` runs.
      code: lambda.Code.fromAsset('../../target/lambda/hello/arm64/bootstrap.zip'),
      memorySize: 128,
      timeout: cdk.Duration.seconds(3),
    });

    new cdk.CfnOutput(this, 'FunctionName', { value: hello.functionName });
  }
}
