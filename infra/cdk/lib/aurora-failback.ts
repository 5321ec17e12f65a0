import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';

/** The five Lambda binaries of the Cargo workspace, by the key the construct uses for them. */
export const FUNCTION_BINARIES = {
  describeWriter: 'describe-writer',
  createReader: 'create-reader',
  checkStatus: 'check-status',
  failover: 'failover',
  recordRun: 'record-run',
} as const;

export type FunctionKey = keyof typeof FUNCTION_BINARIES;

/** The ASL file's DefinitionSubstitutions placeholders, by function. */
export const DEFINITION_SUBSTITUTIONS: Record<FunctionKey, string> = {
  describeWriter: 'DescribeWriterFunctionArn',
  createReader: 'CreateReaderFunctionArn',
  checkStatus: 'CheckStatusFunctionArn',
  failover: 'FailoverFunctionArn',
  recordRun: 'RecordRunFunctionArn',
};

/** The failover events that start a run (Aurora cluster events, category failover). */
export const FAILOVER_EVENT_IDS = ['RDS-EVENT-0071', 'RDS-EVENT-0072', 'RDS-EVENT-0073'];

/** What the state machine publishes when a run ends. */
export const RUN_FINISHED_SOURCE = 'aurora-failback';
export const RUN_FINISHED_DETAIL_TYPE = 'Aurora Failback Run Finished';

/** The cluster tag that opts a cluster in, and the tag every created instance carries. */
export const TAG_ENABLED = 'aurora-failback:enabled';
export const TAG_RUN = 'aurora-failback:run';

export interface AuroraFailbackProps {
  /**
   * Every run only plans (and publishes what it would do), whatever its input says.
   * @default false
   */
  readonly dryRunOnly?: boolean;

  /**
   * How many times a run checks, 30 s apart, whether the reader it waits for is available.
   * @default 60
   */
  readonly readerCheckBudget?: number;

  /**
   * How many times a run checks, 10 s apart, whether the writer moved after the failover.
   * @default 30
   */
  readonly writerCheckBudget?: number;

  /**
   * A failover event older than this many seconds (measured from the event's `time` /
   * `detail.Date`) is recorded as skipped (`stale-event`) and changes nothing: protects
   * against events replayed from an archive or a dead-letter queue hours later. Manual
   * starts are not aged. A whole number from 60 to 86400; passed to describe-writer and
   * record-run as MAX_EVENT_AGE_SECONDS.
   * @default 1800
   */
  readonly maxEventAgeSeconds?: number;

  /**
   * Lets manual runs (console StartExecution or the CLI) act on clusters without the tag
   * `aurora-failback:enabled=true`, and drops that tag condition from the roles'
   * rds:CreateDBInstance (on the cluster) and rds:FailoverDBCluster. Runs started by
   * failover events still need the tag. When false, a manual run on an untagged cluster
   * is planned as skipped (`not-opted-in`). Passed to describe-writer, create-reader and
   * failover as ALLOW_UNTAGGED_MANUAL_RUNS.
   * @default false
   */
  readonly allowUntaggedManualRuns?: boolean;

  /**
   * An e-mail address to subscribe to the notification topic.
   * @default - no subscription
   */
  readonly notificationEmail?: string;

  /**
   * Notify every finished run, not only failed ones.
   * @default false
   */
  readonly notifyOnEveryRun?: boolean;

  /**
   * Retention of the functions' and the state machine's log groups.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The workspace Cargo.toml that holds the five Lambda binaries.
   * @default - the Cargo.toml at the root of the repository this package sits in
   */
  readonly manifestPath?: string;

  /**
   * The state machine definition (ASL, JSONPath) with the five `${...FunctionArn}` placeholders.
   * @default - statemachine/failback.asl.json at the root of the repository
   */
  readonly definitionPath?: string;

  /**
   * Prefix of the log group names.
   * @default - the stack name
   */
  readonly namePrefix?: string;
}

/**
 * Restores an Aurora cluster's writer class after a failover: on a failover event a
 * Step Functions workflow creates a writer-sized tier-0 reader and fails over to it,
 * for clusters tagged `aurora-failback:enabled=true` (manual runs on untagged clusters
 * too with `allowUntaggedManualRuns`). Same resources and roles as infra/template.yaml.
 */
export class AuroraFailback extends Construct {
  public readonly key: kms.Key;
  public readonly ledgerTable: dynamodb.Table;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly notificationTopic: sns.Topic;
  public readonly functions: Record<FunctionKey, RustFunction>;
  public readonly roles: Record<FunctionKey | 'stateMachine' | 'startRuns', iam.Role>;
  public readonly stateMachine: sfn.StateMachine;
  public readonly failoverEventRule: events.Rule;
  public readonly executionEndedRule: events.Rule;
  public readonly runFinishedNotifyRule: events.Rule;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AuroraFailbackProps = {}) {
    super(scope, id);

    const stack = Stack.of(this);
    const root = props.manifestPath && props.definitionPath ? undefined : findWorkspaceRoot(__dirname);
    const manifestPath = props.manifestPath ?? path.join(requireRoot(root), 'Cargo.toml');
    const definitionPath = props.definitionPath ?? path.join(requireRoot(root), 'statemachine', 'failback.asl.json');
    const prefix = props.namePrefix ?? stack.stackName;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const rdsArn = (type: string) => `arn:${stack.partition}:rds:${stack.region}:${stack.account}:${type}:*`;
    const maxEventAgeSeconds = wholeNumber(props.maxEventAgeSeconds ?? 1800, 60, 86400, 'maxEventAgeSeconds');
    const allowUntagged = props.allowUntaggedManualRuns ?? false;

    // --- Encryption: one key for the ledger, the topic, the dead-letter queue and the logs.
    this.key = new kms.Key(this, 'Key', {
      description: 'aurora-failback ledger, notifications, dead letters and logs',
      enableKeyRotation: true,
      alias: `alias/${prefix}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'EventBridgeDeliversToEncryptedTargets',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'], // in a key policy "*" means this key
    }));
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
      resources: ['*'],
    }));
    const lambdaLogPrefix = `/aws/lambda/${prefix}`;
    const stateMachineLogGroupName = `/aws/vendedlogs/states/${prefix}`;
    const logGroupArn = (name: string) => `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:${name}`;
    this.key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogsEncryptsThisStacksLogGroups',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: [
        'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
        'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey',
      ],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': [logGroupArn(`${lambdaLogPrefix}/*`), logGroupArn(stateMachineLogGroupName)],
        },
      },
    }));

    // --- The ledger (retained: it is the record of what was done to databases).
    this.ledgerTable = new dynamodb.Table(this, 'LedgerTable', {
      partitionKey: { name: 'clusterId', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'recordKey', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // --- Dead letters: undelivered events and failed record-run invocations.
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.key,
      retentionPeriod: Duration.days(14),
    });

    // --- Log groups.
    const functionLogGroup = (key: FunctionKey) => new logs.LogGroup(this, `${pascal(key)}LogGroup`, {
      logGroupName: `${lambdaLogPrefix}/${FUNCTION_BINARIES[key]}`,
      retention,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stateMachineLogGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      logGroupName: stateMachineLogGroupName,
      retention,
      encryptionKey: this.key,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // --- Roles: one per function, each with only the calls that function makes.
    // Wildcard resources, and why:
    // - xray:PutTraceSegments / PutTelemetryRecords have no resource-level permissions
    //   (added by the Function construct because tracing is active).
    // - rds:DescribeDBClusters / DescribeDBInstances are limited to this account and
    //   region but not to tagged clusters: a function reads a cluster before it knows
    //   whether it opted in (that is how an untagged cluster ends as "skipped"), and
    //   DescribeDBInstances is called with a db-cluster-id filter, authorised against
    //   db:*, which a name or tag condition would refuse.
    // - rds:DescribeOrderableDBInstanceOptions has no resource-level permissions; it only
    //   lists the instance classes RDS offers for an engine and version.
    const readClusters = [
      new iam.PolicyStatement({ sid: 'ReadClusters', actions: ['rds:DescribeDBClusters'], resources: [rdsArn('cluster')] }),
      new iam.PolicyStatement({ sid: 'ReadInstances', actions: ['rds:DescribeDBInstances'], resources: [rdsArn('db')] }),
    ];
    // describe-writer: is the desired class orderable for the cluster's engine and version?
    // create-reader: does the requested availability zone offer it?
    const readOrderableClasses = new iam.PolicyStatement({
      sid: 'ReadOrderableClasses',
      actions: ['rds:DescribeOrderableDBInstanceOptions'],
      resources: ['*'],
    });
    // The mutating calls on a cluster: only clusters that opted in, unless manual runs may
    // act on untagged clusters (the functions still refuse event-started runs on them).
    const optedIn = allowUntagged ? undefined : { StringEqualsIgnoreCase: { [`aws:ResourceTag/${TAG_ENABLED}`]: 'true' } };
    const carriesRunTag = { Null: { [`aws:RequestTag/${TAG_RUN}`]: 'false' } };

    const statements: Record<FunctionKey, iam.PolicyStatement[]> = {
      // A secondary of a global database shows in DescribeDBClusters (GlobalClusterIdentifier).
      describeWriter: [...readClusters, readOrderableClasses],
      createReader: [
        ...readClusters,
        readOrderableClasses,
        // CreateDBInstance is authorised once per resource it touches.
        new iam.PolicyStatement({
          sid: allowUntagged ? 'CreateInstanceInAnyCluster' : 'CreateInstanceInOptedInClusterOnly',
          actions: ['rds:CreateDBInstance'],
          resources: [rdsArn('cluster')],
          conditions: optedIn,
        }),
        new iam.PolicyStatement({
          sid: 'CreateInstanceCarryingRunTag',
          actions: ['rds:CreateDBInstance'],
          resources: [rdsArn('db')],
          conditions: carriesRunTag,
        }),
        // The cluster's own parameter, option and subnet groups, named by whoever built
        // the cluster: limited to this account and region.
        new iam.PolicyStatement({
          sid: 'CreateInstanceWithClustersGroups',
          actions: ['rds:CreateDBInstance'],
          resources: [rdsArn('pg'), rdsArn('og'), rdsArn('subgrp'), rdsArn('secgrp')],
        }),
        new iam.PolicyStatement({
          sid: 'TagNewInstanceAtCreation',
          actions: ['rds:AddTagsToResource'],
          resources: [rdsArn('db')],
          conditions: carriesRunTag,
        }),
        // The reference instance's enhanced-monitoring role: the user's, any name, and
        // passable only to RDS enhanced monitoring.
        new iam.PolicyStatement({
          sid: 'PassEnhancedMonitoringRoleOnly',
          actions: ['iam:PassRole'],
          resources: [`arn:${stack.partition}:iam::${stack.account}:role/*`],
          conditions: { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } },
        }),
        // A customer managed Performance Insights key copied from the reference is used by
        // RDS on the caller's behalf; the user's key, usable only through RDS here.
        new iam.PolicyStatement({
          sid: 'UseInstanceKeysThroughRdsOnly',
          actions: ['kms:DescribeKey', 'kms:CreateGrant', 'kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [`arn:${stack.partition}:kms:${stack.region}:${stack.account}:key/*`],
          conditions: { StringEquals: { 'kms:ViaService': `rds.${stack.region}.amazonaws.com` } },
        }),
      ],
      checkStatus: [...readClusters],
      failover: [
        ...readClusters,
        new iam.PolicyStatement({
          sid: allowUntagged ? 'FailOverAnyCluster' : 'FailOverOptedInClustersOnly',
          actions: ['rds:FailoverDBCluster'],
          resources: [rdsArn('cluster')],
          conditions: optedIn,
        }),
      ],
      recordRun: [
        new iam.PolicyStatement({
          sid: 'KeepLedger',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
          resources: [this.ledgerTable.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'UseStackKeyThroughLedgerAndQueue',
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [this.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': [`dynamodb.${stack.region}.amazonaws.com`, `sqs.${stack.region}.amazonaws.com`] },
          },
        }),
      ],
    };

    const descriptions: Record<FunctionKey, string> = {
      describeWriter: 'Reads the cluster and plans the run (restore, no-op, skip or dry run).',
      createReader: 'Creates a writer-sized, tier-0 reader copying the reference instance.',
      checkStatus: "Reports the new reader's and the cluster's status for the poll loop.",
      failover: 'Fails the cluster over to the new reader.',
      recordRun: 'Records runs in the ledger and holds the per-cluster lease; finishes runs that died.',
    };
    const timeouts: Partial<Record<FunctionKey, Duration>> = {
      createReader: Duration.seconds(60),
      failover: Duration.seconds(60),
    };
    const allowUntaggedFlag = allowUntagged ? 'true' : 'false';
    const environments: Partial<Record<FunctionKey, Record<string, string>>> = {
      describeWriter: {
        DRY_RUN_ONLY: props.dryRunOnly ? 'true' : 'false',
        MAX_EVENT_AGE_SECONDS: String(maxEventAgeSeconds),
        ALLOW_UNTAGGED_MANUAL_RUNS: allowUntaggedFlag,
      },
      createReader: { ALLOW_UNTAGGED_MANUAL_RUNS: allowUntaggedFlag },
      failover: { ALLOW_UNTAGGED_MANUAL_RUNS: allowUntaggedFlag },
      recordRun: { LEDGER_TABLE: this.ledgerTable.tableName, MAX_EVENT_AGE_SECONDS: String(maxEventAgeSeconds) },
    };

    const roles = {} as Record<FunctionKey | 'stateMachine' | 'startRuns', iam.Role>;
    const functions = {} as Record<FunctionKey, RustFunction>;
    for (const key of Object.keys(FUNCTION_BINARIES) as FunctionKey[]) {
      const binary = FUNCTION_BINARIES[key];
      const logGroup = functionLogGroup(key);
      const role = new iam.Role(this, `${pascal(key)}Role`, {
        description: `aurora-failback ${binary}`,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        inlinePolicies: {
          [binary]: new iam.PolicyDocument({
            statements: [
              new iam.PolicyStatement({
                sid: 'WriteOwnLogs',
                actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                resources: [logGroup.logGroupArn],
              }),
              ...statements[key],
            ],
          }),
        },
      });
      const fn = new RustFunction(this, pascal(key), {
        manifestPath,
        binaryName: binary,
        architecture: lambda.Architecture.ARM_64,
        description: descriptions[key],
        role,
        memorySize: 256,
        timeout: timeouts[key] ?? Duration.seconds(30),
        tracing: lambda.Tracing.ACTIVE,
        loggingFormat: lambda.LoggingFormat.JSON,
        logGroup,
        environment: environments[key],
        deadLetterQueue: key === 'recordRun' ? this.deadLetterQueue : undefined,
      });
      skipChecks(fn, [
        key === 'recordRun' ? undefined : ['CKV_AWS_116', 'Invoked only synchronously by the state machine, whose Retry and Catch handle failures; a DLQ applies to asynchronous invocations only.'],
        ['CKV_AWS_117', `Calls only AWS APIs (${key === 'recordRun' ? 'DynamoDB' : 'RDS'}); it reaches nothing inside a VPC, and a VPC would need NAT or interface endpoints to reach them.`],
        ['CKV_AWS_115', 'Reserved concurrency would take capacity from the account pool and fails to deploy in accounts with a low concurrency quota; runs are few and one per cluster at a time (ledger lease).'],
        environments[key] ? ['CKV_AWS_173', environmentReason(Object.keys(environments[key]!))] : undefined,
      ]);
      roles[key] = role;
      functions[key] = fn;
    }
    this.functions = functions;

    // --- The state machine: invokes only its five functions, puts events only on the
    // default bus with its own source and detail-type.
    const stateMachineRole = new iam.Role(this, 'StateMachineRole', {
      description: 'aurora-failback state machine',
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        'failback-state-machine': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'InvokeOwnFunctionsOnly',
              actions: ['lambda:InvokeFunction'],
              resources: Object.values(functions).map((fn) => fn.functionArn),
            }),
            new iam.PolicyStatement({
              sid: 'PublishRunFinishedOnDefaultBus',
              actions: ['events:PutEvents'],
              resources: [`arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default`],
              conditions: {
                StringEquals: { 'events:source': RUN_FINISHED_SOURCE, 'events:detail-type': RUN_FINISHED_DETAIL_TYPE },
              },
            }),
          ],
        }),
      },
    });
    roles.stateMachine = stateMachineRole;

    const substitutions: Record<string, string> = {};
    for (const key of Object.keys(DEFINITION_SUBSTITUTIONS) as FunctionKey[]) {
      substitutions[DEFINITION_SUBSTITUTIONS[key]] = functions[key].functionArn;
    }
    // Strings, as every substitution; the ASL reads them with States.StringToJson.
    substitutions.ReaderCheckBudget = String(wholeNumber(props.readerCheckBudget ?? 60, 1, 80, 'readerCheckBudget'));
    substitutions.WriterCheckBudget = String(wholeNumber(props.writerCheckBudget ?? 30, 1, 60, 'writerCheckBudget'));
    if (!fs.existsSync(definitionPath)) {
      throw new Error(`state machine definition not found: ${definitionPath}`);
    }
    // Tracing and logging make the construct add the X-Ray and CloudWatch Logs
    // log-delivery actions to the role; both have no resource-level permissions.
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(definitionPath),
      definitionSubstitutions: substitutions,
      role: stateMachineRole,
      tracingEnabled: true,
      logs: { destination: stateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    // --- Starting runs on Aurora failover events.
    const startRunsRole = new iam.Role(this, 'StartRunsRole', {
      description: 'EventBridge starts aurora-failback runs',
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    });
    roles.startRuns = startRunsRole;
    this.failoverEventRule = new events.Rule(this, 'FailoverEventRule', {
      description: 'Aurora cluster failover started or completed -> aurora-failback state machine',
      eventPattern: {
        source: ['aws.rds'],
        detailType: ['RDS DB Cluster Event'],
        detail: { EventID: FAILOVER_EVENT_IDS },
      },
    });
    this.failoverEventRule.addTarget(new targets.SfnStateMachine(this.stateMachine, {
      role: startRunsRole,
      retryAttempts: 20,
      maxEventAge: Duration.hours(1),
      deadLetterQueue: this.deadLetterQueue,
    }));

    // --- Finishing runs that died without reaching their Catch.
    this.executionEndedRule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'aurora-failback run failed, timed out or was aborted -> record-run',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
    });
    this.executionEndedRule.addTarget(new targets.LambdaFunction(functions.recordRun, {
      retryAttempts: 20,
      maxEventAge: Duration.hours(24),
      deadLetterQueue: this.deadLetterQueue,
    }));

    // --- Notifications.
    this.notificationTopic = new sns.Topic(this, 'NotificationTopic', {
      displayName: 'aurora-failback',
      masterKey: this.key,
    });
    if (props.notificationEmail) {
      this.notificationTopic.addSubscription(new subscriptions.EmailSubscription(props.notificationEmail));
    }
    this.runFinishedNotifyRule = new events.Rule(this, 'RunFinishedNotifyRule', {
      description: props.notifyOnEveryRun
        ? 'every finished aurora-failback run -> notification topic'
        : 'failed aurora-failback runs -> notification topic',
      eventPattern: {
        source: [RUN_FINISHED_SOURCE],
        detailType: [RUN_FINISHED_DETAIL_TYPE],
        detail: props.notifyOnEveryRun ? undefined : { outcome: ['failed'] },
      },
    });
    const notifyRule = this.runFinishedNotifyRule;
    const topic = this.notificationTopic;
    const dlq = this.deadLetterQueue;
    // A target of our own rather than targets.SnsTopic, so that the topic policy is
    // limited to this rule (SnsTopic grants every rule of every account).
    notifyRule.addTarget({
      bind: () => ({
        id: 'notification-topic',
        arn: topic.topicArn,
        retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 86400 },
        deadLetterConfig: { arn: dlq.queueArn },
      }),
    });
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RunFinishedRuleOfThisStack',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': notifyRule.ruleArn } },
    }));
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AlarmsOfThisStack',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }));
    dlq.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RunFinishedRuleOfThisStack',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [dlq.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': notifyRule.ruleArn } },
    }));

    const alarmAction = new cloudwatchActions.SnsAction(topic);
    const fiveMinutes = Duration.minutes(5);
    const alarm = (id: string, description: string, metric: cloudwatch.IMetric) => {
      const created = new cloudwatch.Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(alarmAction);
      return created;
    };
    this.alarms = [
      alarm('ExecutionsFailedAlarm', "An aurora-failback run failed; see the state machine's execution history and the ledger.",
        this.stateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' })),
      alarm('ExecutionsTimedOutAlarm', "An aurora-failback run hit the state machine's time limit; it never published its outcome.",
        this.stateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' })),
      alarm('DeadLetterAlarm', 'An aurora-failback event or ledger update was not delivered; read the dead-letter queue.',
        dlq.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' })),
    ];
    this.roles = roles;
  }
}

/** The nearest directory at or above `start` whose Cargo.toml declares a workspace. */
export function findWorkspaceRoot(start: string): string | undefined {
  let dir = path.resolve(start);
  for (;;) {
    const manifest = path.join(dir, 'Cargo.toml');
    if (fs.existsSync(manifest) && /^\s*\[workspace\]/m.test(fs.readFileSync(manifest, 'utf8'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return undefined;
    }
    dir = parent;
  }
}

function requireRoot(root: string | undefined): string {
  if (!root) {
    throw new Error('no Cargo workspace found above this package: pass manifestPath and definitionPath');
  }
  return root;
}

function pascal(key: string): string {
  return key.charAt(0).toUpperCase() + key.slice(1);
}

/** Writes checkov suppressions, each with its reason, into the resource's metadata. */
function skipChecks(construct: Construct, checks: Array<[string, string] | undefined>) {
  const resource = construct.node.defaultChild as CfnResource;
  resource.addMetadata('checkov', {
    skip: checks.filter((c): c is [string, string] => c !== undefined).map(([id, comment]) => ({ id, comment })),
  });
}

/** A whole number in min..max, or an error at synth time (as the SAM parameter's bounds). */
function wholeNumber(value: number, min: number, max: number, name: string): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not ${value}`);
  }
  return value;
}

/** checkov's CKV_AWS_173 reason: the function's variables hold no secret. */
function environmentReason(names: string[]): string {
  const listed = names.length === 1 ? `The only variable is ${names[0]}` : `The variables are ${names.join(', ')}`;
  return `${listed}: names, numbers and true/false flags, no secret; Lambda encrypts them at rest with its service key.`;
}
