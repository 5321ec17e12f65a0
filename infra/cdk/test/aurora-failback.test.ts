import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import {
  BACKUP_WATCH_BINARY,
  DEFINITION_SUBSTITUTIONS,
  DR_DEFINITION_SUBSTITUTIONS,
  DR_FUNCTIONS,
  FAILBACK_FUNCTIONS,
  FAILBACK_STATE_MACHINE_SUBSTITUTION,
  FAILOVER_EVENT_IDS,
  FUNCTION_BINARIES,
  FunctionKey,
} from '../lib';
import {
  BACKUP_SERVICE_POLICY_ARN,
  BACKUP_WATCH_ACTIONS,
  BACKUP_WATCH_SCHEDULE_PERMISSIONS,
  backupWatchPermissions,
  DR_RESTORE_ACTIONS,
  DR_SNAPSHOT_READ_ACTIONS,
  drRestoreStatements,
  SNAPSHOT_READ_STATEMENTS,
  DR_CHECK_PERMISSIONS,
  DR_ELASTICACHE_FAILOVER_ACTIONS,
  DR_ELASTICACHE_READ_ACTIONS,
  DR_LISTED_ACTIONS,
  DR_PROMOTE_CLUSTER_ACTIONS,
  drCheckPermissions,
  drListedStatements,
  METRIC_READ_ACTIONS,
  READER_INSTANCE_ACTIONS,
  READER_INSTANCE_STATEMENTS,
  READINESS_ACTIONS,
  READINESS_SCHEDULE_PERMISSIONS,
  readinessPermissions,
  DR_CREATION_ACTIONS,
  DR_NEW_INSTANCE_ACTIONS,
  DR_PROMOTE_ACTIONS,
  DR_REPLICA_ACTIONS,
  DR_SECONDARY_ACTIONS,
  DR_SWITCH_ACTIONS,
  drActPermissions,
  drCreationStatements,
  drValidatePermissions,
  listedInstance,
  REPLICA_GROUP_RESOURCES,
  EXPECTED_ACTIONS,
  expectedActions,
  RoleKey,
  WILDCARD_RESOURCE_ACTIONS,
} from './expected';
import {
  asList,
  definitionPath,
  functionRoleId,
  inlineStatementShapes,
  Json,
  logicalId,
  normaliseIntrinsics,
  placeholders,
  REAL_DR_DEFINITION,
  resourcesOfType,
  roleActions,
  rolePermissions,
  roleStatements,
  statementShapes,
  synth,
} from './support';

const FUNCTION_KEYS = Object.keys(FUNCTION_BINARIES) as FunctionKey[];
/** The largest resourceCheckBudget (the SAM parameter ResourceCheckBudget's MaxValue). */
const MAX_RESOURCE_CHECK_BUDGET = 600;

function statementsWith(statements: Json[], action: string): Json[] {
  return statements.filter((s) => asList(s.Action).includes(action));
}

describe('AuroraFailback construct', () => {
  const { stack, construct, template, json } = synth();
  const fnId = (key: FunctionKey) => logicalId(stack, construct.functions[key]);
  const roleId = (key: RoleKey) => logicalId(stack, construct.roles[key]);
  const failbackMachine = () => json.Resources[logicalId(stack, construct.stateMachine)];
  const drMachine = () => json.Resources[logicalId(stack, construct.drStateMachine)];

  it('builds eight Rust functions (five failback, three DR) for provided.al2023 on arm64 with JSON logs and tracing', () => {
    template.resourceCountIs('AWS::Lambda::Function', 8);
    for (const key of FUNCTION_KEYS) {
      const fn = json.Resources[fnId(key)];
      assert.equal(fn.Properties.Runtime, 'provided.al2023', key);
      assert.deepEqual(fn.Properties.Architectures, ['arm64'], key);
      assert.equal(fn.Properties.Handler, 'bootstrap', key);
      assert.deepEqual(fn.Properties.TracingConfig, { Mode: 'Active' }, key);
      assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON', key);
      const logGroup = json.Resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      assert.equal(logGroup.Type, 'AWS::Logs::LogGroup', key);
      assert.equal(logGroup.Properties.RetentionInDays, 365, key);
      assert.ok(logGroup.Properties.KmsKeyId, `${key} log group is encrypted`);
      assert.equal(logGroup.Properties.LogGroupName, `/aws/lambda/Test/${FUNCTION_BINARIES[key]}`);
    }
  });

  it('configures describe-writer, create-reader, failover, record-run and dr-validate through their environment', () => {
    const expected: Record<FunctionKey, Json> = {
      describeWriter: { DRY_RUN_ONLY: 'false', MAX_EVENT_AGE_SECONDS: '1800', ALLOW_UNTAGGED_MANUAL_RUNS: 'false' },
      createReader: { ALLOW_UNTAGGED_MANUAL_RUNS: 'false' },
      checkStatus: undefined,
      failover: { ALLOW_UNTAGGED_MANUAL_RUNS: 'false' },
      recordRun: { LEDGER_TABLE: { Ref: logicalId(stack, construct.ledgerTable) }, MAX_EVENT_AGE_SECONDS: '1800' },
      drValidate: { DR_PARAMETER_PATH_PREFIX: '/aurora-failback/dr/' },
      drCheck: undefined,
      drAct: undefined,
    };
    for (const key of FUNCTION_KEYS) {
      assert.deepEqual(json.Resources[fnId(key)].Properties.Environment?.Variables, expected[key], key);
    }
    const custom = synth({
      dryRunOnly: true, maxEventAgeSeconds: 600, allowUntaggedManualRuns: true, drParameterPathPrefix: '/ops/dr-payloads/prod/',
    });
    const variables = (key: FunctionKey) =>
      custom.json.Resources[logicalId(custom.stack, custom.construct.functions[key])].Properties.Environment?.Variables;
    assert.deepEqual(variables('describeWriter'),
      { DRY_RUN_ONLY: 'true', MAX_EVENT_AGE_SECONDS: '600', ALLOW_UNTAGGED_MANUAL_RUNS: 'true' });
    assert.deepEqual(variables('createReader'), { ALLOW_UNTAGGED_MANUAL_RUNS: 'true' });
    assert.equal(variables('checkStatus'), undefined);
    assert.deepEqual(variables('failover'), { ALLOW_UNTAGGED_MANUAL_RUNS: 'true' });
    assert.equal(variables('recordRun').MAX_EVENT_AGE_SECONDS, '600');
    assert.deepEqual(variables('drValidate'), { DR_PARAMETER_PATH_PREFIX: '/ops/dr-payloads/prod/' });
    for (const key of ['drCheck', 'drAct'] as const) {
      assert.equal(variables(key), undefined, key);
    }
  });

  it('accepts a maximum event age from 60 s to a day, in whole seconds', () => {
    for (const maxEventAgeSeconds of [60, 86400]) {
      const ok = synth({ maxEventAgeSeconds });
      const describeWriter = ok.json.Resources[logicalId(ok.stack, ok.construct.functions.describeWriter)];
      assert.equal(describeWriter.Properties.Environment.Variables.MAX_EVENT_AGE_SECONDS, String(maxEventAgeSeconds));
    }
    for (const maxEventAgeSeconds of [0, 59, 86401, 90.5]) {
      assert.throws(() => synth({ maxEventAgeSeconds }), /maxEventAgeSeconds must be a whole number from 60 to 86400/,
        String(maxEventAgeSeconds));
    }
  });

  it('keeps the ledger on demand, with point-in-time recovery, TTL on expiresAt and the stack key', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'clusterId', KeyType: 'HASH' },
          { AttributeName: 'recordKey', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'clusterId', AttributeType: 'S' },
          { AttributeName: 'recordKey', AttributeType: 'S' },
        ]),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, construct.key), 'Arn'] },
        },
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('substitutes exactly the placeholders of the state machine definition', () => {
    assert.equal(resourcesOfType(json, 'AWS::StepFunctions::StateMachine').length, 2);
    const substitutions = failbackMachine().Properties.DefinitionSubstitutions;
    assert.deepEqual(Object.keys(substitutions).sort(), placeholders(definitionPath()),
      `substitutions must match the placeholders of ${definitionPath()}`);
    for (const key of FAILBACK_FUNCTIONS) {
      assert.deepEqual(substitutions[DEFINITION_SUBSTITUTIONS[key]], { 'Fn::GetAtt': [fnId(key), 'Arn'] }, key);
    }
  });

  it('substitutes exactly the placeholders of the DR state machine definition, every one', () => {
    const substitutions = drMachine().Properties.DefinitionSubstitutions;
    assert.deepEqual(placeholders(REAL_DR_DEFINITION),
      ['DrActFunctionArn', 'DrCheckFunctionArn', 'DrValidateFunctionArn', 'FailbackStateMachineArn', 'RecordRunFunctionArn',
        'ResourceCheckBudget']);
    assert.deepEqual(Object.keys(substitutions).sort(), placeholders(REAL_DR_DEFINITION),
      `substitutions must match the placeholders of ${REAL_DR_DEFINITION}`);
    for (const key of DR_FUNCTIONS) {
      assert.deepEqual(substitutions[DR_DEFINITION_SUBSTITUTIONS[key]], { 'Fn::GetAtt': [fnId(key), 'Arn'] }, key);
    }
    // The capacity hand-off starts this stack's failback state machine (its ARN is its Ref).
    assert.equal(FAILBACK_STATE_MACHINE_SUBSTITUTION, 'FailbackStateMachineArn');
    assert.deepEqual(substitutions[FAILBACK_STATE_MACHINE_SUBSTITUTION], { Ref: logicalId(stack, construct.stateMachine) });
    // Both machines share record-run, and nothing else.
    const failbackArns = Object.values(failbackMachine().Properties.DefinitionSubstitutions).map((v) => JSON.stringify(v));
    const shared = Object.values(substitutions).filter((v) => failbackArns.includes(JSON.stringify(v)));
    assert.deepEqual(shared, [{ 'Fn::GetAtt': [fnId('recordRun'), 'Arn'] }]);
  });

  it('passes the DR resource check budget as a string, 90 by default, and refuses it outside 1..600', () => {
    assert.equal(drMachine().Properties.DefinitionSubstitutions.ResourceCheckBudget, '120');
    for (const resourceCheckBudget of [1, 600]) {
      const custom = synth({ resourceCheckBudget });
      const machine = custom.json.Resources[logicalId(custom.stack, custom.construct.drStateMachine)];
      assert.equal(machine.Properties.DefinitionSubstitutions.ResourceCheckBudget, String(resourceCheckBudget));
    }
    for (const resourceCheckBudget of [0, 601, 720, 45.5]) {
      assert.throws(() => synth({ resourceCheckBudget }), /resourceCheckBudget must be a whole number from 1 to 600/,
        String(resourceCheckBudget));
    }
  });

  it('ends the longest resource wait inside the DR state machine\'s time-out', () => {
    // The most checks allowed, each after the definition's wait, take less than the
    // machine's TimeoutSeconds: ResourceWaitExhausted is recorded before the machine times out.
    const definition = JSON.parse(fs.readFileSync(REAL_DR_DEFINITION, 'utf8'));
    const waits: number[] = [];
    const firstWaits: string[] = [];
    const visit = (value: Json): void => {
      if (Array.isArray(value)) {
        value.forEach(visit);
      } else if (value && typeof value === 'object') {
        if (value.Type === 'Wait' && value.SecondsPath !== undefined) {
          firstWaits.push(value.SecondsPath);
        } else if (value.Type === 'Wait') {
          assert.equal(typeof value.Seconds, 'number', 'a DR Wait state waits a fixed number of seconds');
          waits.push(value.Seconds);
        }
        Object.values(value).forEach(visit);
      }
    };
    visit(definition.States);
    assert.deepEqual(waits, [15], 'one fixed Wait state, 15 s before each further resource check');
    assert.deepEqual(firstWaits, ['$.act.firstCheckAfterSeconds'], 'the first check waits as long as dr-act says');
    assert.equal(definition.TimeoutSeconds, 4 * 3600);
    // dr-act's longest first wait (NEW_INSTANCE_SECONDS in crates/failback-core/src/dr/plan.rs);
    // a resource acts at most twice (a restore: the restore call, then its instances).
    const longestFirstWait = 300;
    const worst = MAX_RESOURCE_CHECK_BUDGET * waits[0] + 2 * longestFirstWait;
    assert.ok(worst < definition.TimeoutSeconds,
      `${MAX_RESOURCE_CHECK_BUDGET} checks of ${waits[0]} s and two first waits end inside ${definition.TimeoutSeconds} s`);
    synth({ resourceCheckBudget: MAX_RESOURCE_CHECK_BUDGET });
    assert.throws(() => synth({ resourceCheckBudget: MAX_RESOURCE_CHECK_BUDGET + 1 }), /from 1 to 600/);
  });

  it('passes the poll budgets as strings, and refuses budgets outside their bounds', () => {
    const substitutions = failbackMachine().Properties.DefinitionSubstitutions;
    assert.equal(substitutions.ReaderCheckBudget, '60');
    assert.equal(substitutions.WriterCheckBudget, '60');
    assert.equal(substitutions.NewReaderWaitSeconds, '540');
    const customSynth = synth({ readerCheckBudget: 80, writerCheckBudget: 1 });
    const custom = customSynth.json.Resources[logicalId(customSynth.stack, customSynth.construct.stateMachine)];
    assert.equal(custom.Properties.DefinitionSubstitutions.ReaderCheckBudget, '80');
    for (const props of [{ readerCheckBudget: 0 }, { readerCheckBudget: 81 }, { writerCheckBudget: 2.5 }, { writerCheckBudget: 121 }, { newReaderWaitSeconds: -1 }, { newReaderWaitSeconds: 1201 }]) {
      assert.throws(() => synth(props), /must be a whole number/, JSON.stringify(props));
    }
  });

  it('logs ALL of each state machine to its own encrypted log group, with tracing', () => {
    const machines: Array<[Json, string, RoleKey]> = [
      [failbackMachine(), '/aws/vendedlogs/states/Test', 'stateMachine'],
      [drMachine(), '/aws/vendedlogs/states/Test-dr', 'drStateMachine'],
    ];
    for (const [machine, logGroupName, role] of machines) {
      assert.equal(machine.Properties.StateMachineType, 'STANDARD');
      assert.deepEqual(machine.Properties.TracingConfiguration, { Enabled: true });
      assert.equal(machine.Properties.LoggingConfiguration.Level, 'ALL');
      assert.equal(machine.Properties.LoggingConfiguration.IncludeExecutionData, true);
      const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      const logGroup = json.Resources[logGroupId].Properties;
      assert.equal(logGroup.LogGroupName, logGroupName);
      assert.ok(logGroup.KmsKeyId);
      assert.equal(logGroup.RetentionInDays, 365);
      assert.deepEqual(machine.Properties.RoleArn, { 'Fn::GetAtt': [roleId(role), 'Arn'] });
    }
    // The stack key lets CloudWatch Logs encrypt both machines' log groups.
    const key = json.Resources[logicalId(stack, construct.key)].Properties.KeyPolicy.Statement
      .find((s: Json) => s.Sid === 'CloudWatchLogsEncryptsThisStacksLogGroups');
    const logArns = JSON.stringify(key.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn']);
    assert.ok(logArns.includes(':log-group:/aws/vendedlogs/states/Test"'), logArns);
    assert.ok(logArns.includes(':log-group:/aws/vendedlogs/states/Test-dr"'), logArns);
  });

  it('starts a run on the three cluster failover events, with retries and an encrypted dead-letter queue', () => {
    const rule = json.Resources[logicalId(stack, construct.failoverEventRule)].Properties;
    assert.deepEqual(rule.EventPattern, {
      'source': ['aws.rds'],
      'detail-type': ['RDS DB Cluster Event'],
      'detail': { EventID: FAILOVER_EVENT_IDS },
    });
    assert.equal(rule.Targets.length, 1);
    const [target] = rule.Targets;
    assert.deepEqual(target.Arn, { Ref: logicalId(stack, construct.stateMachine) });
    assert.equal(target.Input, undefined, 'the event goes to the state machine as it is');
    assert.equal(target.InputTransformer, undefined);
    assert.deepEqual(target.RetryPolicy, { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 });
    const dlqId = logicalId(stack, construct.deadLetterQueue);
    assert.deepEqual(target.DeadLetterConfig, { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } });
    assert.ok(json.Resources[dlqId].Properties.KmsMasterKeyId, 'dead-letter queue is encrypted');
    assert.deepEqual(roleActions(json, roleId('startRuns')), ['states:StartExecution']);
    const start = statementsWith(roleStatements(json, roleId('startRuns')), 'states:StartExecution');
    assert.deepEqual(start.map((s) => s.Resource), [{ Ref: logicalId(stack, construct.stateMachine) }]);
  });

  it('finishes runs of both state machines that failed, timed out or were aborted through record-run', () => {
    const rule = json.Resources[logicalId(stack, construct.executionEndedRule)].Properties;
    assert.deepEqual(rule.EventPattern, {
      'source': ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      'detail': {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [
          { Ref: logicalId(stack, construct.stateMachine) },
          { Ref: logicalId(stack, construct.drStateMachine) },
        ],
      },
    });
    assert.equal(rule.Targets.length, 1);
    const [target] = rule.Targets;
    assert.deepEqual(target.Arn, { 'Fn::GetAtt': [fnId('recordRun'), 'Arn'] });
    assert.equal(target.Input, undefined, 'record-run receives the event as it is');
    assert.ok(target.RetryPolicy);
    assert.ok(target.DeadLetterConfig);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId('recordRun'), 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logicalId(stack, construct.executionEndedRule), 'Arn'] },
    });
    template.resourceCountIs('AWS::Lambda::Permission', 1);
    // A DR run that died is recorded under "#dr-runs" in the same ledger: record-run may
    // write any item of the table (no partition condition), and only that table.
    const recordRunStatements = roleStatements(json, roleId('recordRun'));
    for (const action of ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']) {
      const writes = statementsWith(recordRunStatements, action);
      assert.deepEqual(writes.map((s) => s.Resource), [{ 'Fn::GetAtt': [logicalId(stack, construct.ledgerTable), 'Arn'] }], action);
      assert.equal(writes[0].Condition, undefined, action);
    }
    // record-run's own asynchronous failures land in the dead-letter queue too.
    assert.deepEqual(json.Resources[fnId('recordRun')].Properties.DeadLetterConfig,
      { TargetArn: { 'Fn::GetAtt': [logicalId(stack, construct.deadLetterQueue), 'Arn'] } });
  });

  it('notifies failed runs on an encrypted topic, or every run when asked', () => {
    const topicId = logicalId(stack, construct.notificationTopic);
    assert.ok(json.Resources[topicId].Properties.KmsMasterKeyId, 'topic is encrypted');
    const ruleId = logicalId(stack, construct.runFinishedNotifyRule);
    const rule = json.Resources[ruleId].Properties;
    assert.deepEqual(rule.EventPattern, {
      'source': ['aurora-failback'],
      'detail-type': ['Aurora Failback Run Finished'],
      'detail': { outcome: ['failed'] },
    });
    assert.deepEqual(rule.Targets[0].Arn, { Ref: topicId });
    const drRuleId = logicalId(stack, construct.drRunFinishedNotifyRule);
    const drRule = json.Resources[drRuleId].Properties;
    assert.deepEqual(drRule.EventPattern, {
      'source': ['aurora-failback'],
      'detail-type': ['Aurora Failback DR Run Finished'],
      'detail': { outcome: ['failed'] },
    });
    for (const notify of [rule, drRule]) {
      assert.equal(notify.Targets.length, 1);
      assert.deepEqual(notify.Targets[0].Arn, { Ref: topicId });
      assert.deepEqual(notify.Targets[0].RetryPolicy, { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 20 });
      assert.deepEqual(notify.Targets[0].DeadLetterConfig,
        { Arn: { 'Fn::GetAtt': [logicalId(stack, construct.deadLetterQueue), 'Arn'] } });
    }
    // The topic and the dead-letter queue accept EventBridge deliveries from exactly these two rules.
    const bothRules = [{ 'Fn::GetAtt': [ruleId, 'Arn'] }, { 'Fn::GetAtt': [drRuleId, 'Arn'] }];
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'events.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: { ArnEquals: { 'aws:SourceArn': bothRules } },
        })]),
      },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'RunFinishedRuleOfThisStack',
          Action: 'sqs:SendMessage',
          Condition: { ArnEquals: { 'aws:SourceArn': bothRules } },
        })]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        })]),
      },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);

    const every = synth({ notifyOnEveryRun: true, notificationEmail: 'ops@example.com' });
    const everyRule = every.json.Resources[logicalId(every.stack, every.construct.runFinishedNotifyRule)].Properties;
    assert.deepEqual(everyRule.EventPattern, {
      'source': ['aurora-failback'],
      'detail-type': ['Aurora Failback Run Finished'],
    });
    every.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    const everyDrRule = every.json.Resources[logicalId(every.stack, every.construct.drRunFinishedNotifyRule)].Properties;
    assert.deepEqual(everyDrRule.EventPattern, {
      'source': ['aurora-failback'],
      'detail-type': ['Aurora Failback DR Run Finished'],
    });
  });

  it('alarms on failed and timed-out executions of both state machines into the topic', () => {
    for (const machine of [construct.stateMachine, construct.drStateMachine]) {
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
        template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/States',
          MetricName: metric,
          Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack, machine) } }],
          Statistic: 'Sum',
          Period: 300,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: logicalId(stack, construct.notificationTopic) }],
        });
      }
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('gives each role exactly the actions its function calls', () => {
    assert.ok(EXPECTED_ACTIONS.drStateMachine.includes('states:StartExecution'));
    for (const action of DR_LISTED_ACTIONS) {
      assert.ok(!EXPECTED_ACTIONS.drAct.includes(action) && !EXPECTED_ACTIONS.drCheck.includes(action), action);
    }
    for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
      assert.deepEqual(roleActions(json, roleId(key)), expectedActions(key, false), key);
    }
    for (const key of FUNCTION_KEYS) {
      assert.equal(functionRoleId(json, fnId(key)), roleId(key), `${key} runs as its own role`);
    }
    template.resourceCountIs('AWS::IAM::Role', 11);
  });

  it('lets dr-validate list stack exports and read, and decrypt through SSM, only parameters under the prefix', () => {
    assert.deepEqual(rolePermissions(json, roleId('drValidate')), drValidatePermissions('/aurora-failback/dr/'));
    const custom = synth({ drParameterPathPrefix: '/ops/dr-payloads/prod/' });
    assert.deepEqual(rolePermissions(custom.json, logicalId(custom.stack, custom.construct.roles.drValidate)),
      drValidatePermissions('/ops/dr-payloads/prod/'));
    // dr-validate is told the same prefix, so it refuses references outside it before any lookup.
    assert.deepEqual(json.Resources[fnId('drValidate')].Properties.Environment.Variables,
      { DR_PARAMETER_PATH_PREFIX: '/aurora-failback/dr/' });
    assert.deepEqual(custom.json.Resources[logicalId(custom.stack, custom.construct.functions.drValidate)].Properties
      .Environment.Variables, { DR_PARAMETER_PATH_PREFIX: '/ops/dr-payloads/prod/' });
    for (const drParameterPathPrefix of ['aurora-failback/dr/', '/aurora-failback/dr', '/', '//', '/a b/', '/a/*/']) {
      assert.throws(() => synth({ drParameterPathPrefix }), /drParameterPathPrefix must be an SSM parameter path/,
        drParameterPathPrefix);
    }
  });

  it('lets dr-check only read global databases, clusters, instances and metrics, and global datastores when listed', () => {
    assert.deepEqual(rolePermissions(json, roleId('drCheck')), DR_CHECK_PERMISSIONS);
    for (const props of [{ drGlobalClusters: ['orders-global'] }, { drInstances: ['orders-replica'] },
      { drGlobalClusters: ['orders-global'], drInstances: ['orders-replica', 'reporting-replica'] },
      { drReplicaClusters: ['orders-replica-cluster'] }]) {
      const configured = synth(props);
      assert.deepEqual(rolePermissions(configured.json, logicalId(configured.stack, configured.construct.roles.drCheck)),
        DR_CHECK_PERMISSIONS, JSON.stringify(props));
    }
    const withDatastores = synth({ drGlobalReplicationGroups: ['ldgnf-sessions'] });
    assert.deepEqual(rolePermissions(withDatastores.json, logicalId(withDatastores.stack, withDatastores.construct.roles.drCheck)),
      drCheckPermissions(true));
    // The metrics: one statement, on "*" (no resource-level permissions), without condition.
    const metrics = roleStatements(json, roleId('drCheck')).filter((s) => asList(s.Action).some((a) => METRIC_READ_ACTIONS.includes(a)));
    assert.deepEqual(metrics.map((s) => [s.Sid, asList(s.Action), asList(s.Resource), s.Condition]),
      [['ReadReplicaLagMetrics', METRIC_READ_ACTIONS, ['*'], undefined]]);
  });

  it('gives dr-check and dr-act no ElastiCache permission by default, and fails over only the listed global datastores, from this region', () => {
    for (const key of FUNCTION_KEYS) {
      for (const action of [...DR_ELASTICACHE_READ_ACTIONS, ...DR_ELASTICACHE_FAILOVER_ACTIONS, ...DR_PROMOTE_CLUSTER_ACTIONS]) {
        assert.ok(!roleActions(json, roleId(key)).includes(action), `${key} ${action} by default`);
      }
    }
    assert.deepEqual(statementShapes(json, roleId('drAct'), DR_LISTED_ACTIONS), []);
    const variants: Array<{ drGlobalReplicationGroups?: string[]; drReplicaClusters?: string[]; drGlobalClusters?: string[] }> = [
      { drGlobalReplicationGroups: ['ldgnf-sessions'] },
      { drGlobalReplicationGroups: ['ldgnf-sessions', 'ldgnf-carts'] },
      { drReplicaClusters: ['orders-replica-cluster'] },
      { drReplicaClusters: ['orders-replica-cluster', 'reporting-replica-cluster'], drGlobalReplicationGroups: ['ldgnf-sessions'] },
      { drReplicaClusters: ['orders-replica-cluster'], drGlobalClusters: ['orders-global'] },
    ];
    for (const props of variants) {
      const label = JSON.stringify(props);
      const groups = props.drGlobalReplicationGroups ?? [];
      const clusters = props.drReplicaClusters ?? [];
      const globalClusters = props.drGlobalClusters ?? [];
      const configured = synth(props);
      const role = (key: RoleKey) => logicalId(configured.stack, configured.construct.roles[key]);
      // Exactly: the read (any global datastore of the account) and the failover (the listed
      // ones, from this region) with global datastores; the promotion (the listed clusters, in
      // this region) with replica clusters; last among dr-act's statements.
      assert.deepEqual(statementShapes(configured.json, role('drAct'), DR_LISTED_ACTIONS), drListedStatements(groups, clusters), label);
      const inline: Json[] = configured.json.Resources[role('drAct')].Properties.Policies[0].PolicyDocument.Statement;
      assert.deepEqual(inline.slice(inline.length - drListedStatements(groups, clusters).length).map((s) => s.Sid),
        drListedStatements(groups, clusters).map((s) => s.Sid), `last (${label})`);
      assert.deepEqual(rolePermissions(configured.json, role('drAct')), drActPermissions(globalClusters, [], groups, clusters), label);
      assert.deepEqual(rolePermissions(configured.json, role('drCheck')), drCheckPermissions(groups.length > 0), label);
      // Nothing else changes with the lists.
      for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
        assert.deepEqual(roleActions(configured.json, role(key)),
          expectedActions(key, globalClusters.length > 0, false, { replicationGroups: groups.length > 0, replicaClusters: clusters.length > 0 }),
          `${key} ${label}`);
      }
    }
    for (const drGlobalReplicationGroups of [[''], ['1ldgnf'], ['ldgnf-'], ['ldgnf--sessions'], ['ldgnf sessions'], ['a'.repeat(64)],
      ['arn:aws:elasticache::123456789012:globalreplicationgroup:ldgnf-sessions']]) {
      assert.throws(() => synth({ drGlobalReplicationGroups }),
        /drGlobalReplicationGroups: .* is not an ElastiCache global datastore identifier/, JSON.stringify(drGlobalReplicationGroups));
    }
    for (const drReplicaClusters of [[''], ['1orders'], ['orders-'], ['orders_cluster'], ['arn:aws:rds:eu-west-1:123456789012:cluster:x']]) {
      assert.throws(() => synth({ drReplicaClusters }), /drReplicaClusters: .* is not a DB cluster identifier/,
        JSON.stringify(drReplicaClusters));
    }
    synth({ drGlobalReplicationGroups: ['a', 'A1-b2', 'a'.repeat(63)], drReplicaClusters: ['a', 'A1-b2'] });
  });

  it('deploys no readiness function, schedule or alarm by default', () => {
    assert.equal(construct.readinessFunction, undefined);
    assert.equal(construct.readinessSchedule, undefined);
    assert.equal(construct.readinessAlarm, undefined);
    assert.equal(construct.roles.drReadiness, undefined);
    assert.equal(construct.roles.drReadinessSchedule, undefined);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
    assert.equal(Object.keys(construct.functions).length, FUNCTION_KEYS.length);
    // Setting only the other readiness props deploys nothing either (as the SAM condition HasDrReadiness).
    const without = synth({ drReadinessMinutes: 5, drReadinessAlarmChecks: 2, drReadinessMaxLagSeconds: 30, drReadinessPayloadParameter: '' });
    without.template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    without.template.resourceCountIs('AWS::Lambda::Function', 8);
  });

  it('checks a payload\'s readiness on a schedule with a read-only function, and alarms into the topic', () => {
    const payload = '/aurora-failback/dr/payload';
    const on = synth({ drReadinessPayloadParameter: payload });
    const id = (c: { node: Json }) => logicalId(on.stack, c);
    const fn = on.construct.readinessFunction!;
    assert.ok(fn, 'the readiness function');
    on.template.resourceCountIs('AWS::Lambda::Function', 9);
    on.template.resourceCountIs('AWS::IAM::Role', 13);
    on.template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    const props = on.json.Resources[id(fn)].Properties;
    assert.equal(props.Runtime, 'provided.al2023');
    assert.deepEqual(props.Architectures, ['arm64']);
    assert.deepEqual(props.TracingConfig, { Mode: 'Active' });
    assert.equal(props.Timeout, 60);
    assert.deepEqual(props.Environment.Variables, { DR_PARAMETER_PATH_PREFIX: '/aurora-failback/dr/', DR_READINESS_MAX_LAG_SECONDS: '60' });
    assert.equal(on.json.Resources[props.LoggingConfig.LogGroup.Ref].Properties.LogGroupName, '/aws/lambda/Test/dr-readiness');
    // A failed check is not run again late.
    on.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id(fn) }, Qualifier: '$LATEST', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300,
    });
    // Its own role, reads only.
    const readinessRole = id(on.construct.roles.drReadiness!);
    assert.equal(functionRoleId(on.json, id(fn)), readinessRole);
    assert.deepEqual(roleActions(on.json, readinessRole), READINESS_ACTIONS);
    assert.deepEqual(rolePermissions(on.json, readinessRole), readinessPermissions(payload, '/aurora-failback/dr/'));
    // The schedule: every 15 minutes, no flexible window, the payload parameter as input, no retry.
    // The schedule is a CloudFormation resource itself (no default child).
    const schedule = on.json.Resources[on.stack.getLogicalId(on.construct.readinessSchedule!)].Properties;
    assert.equal(schedule.ScheduleExpression, 'rate(15 minutes)');
    assert.deepEqual(schedule.FlexibleTimeWindow, { Mode: 'OFF' });
    assert.equal(schedule.State, 'ENABLED');
    assert.deepEqual(schedule.Target.Arn, { 'Fn::GetAtt': [id(fn), 'Arn'] });
    assert.deepEqual(JSON.parse(schedule.Target.Input), { payloadParameter: payload });
    assert.deepEqual(schedule.Target.RetryPolicy, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    // The schedule's role, trusted by EventBridge Scheduler of this account only, invokes that function only.
    const scheduleRole = id(on.construct.roles.drReadinessSchedule!);
    assert.deepEqual(schedule.Target.RoleArn, { 'Fn::GetAtt': [scheduleRole, 'Arn'] });
    assert.deepEqual(rolePermissions(on.json, scheduleRole), READINESS_SCHEDULE_PERMISSIONS);
    assert.deepEqual(roleStatements(on.json, scheduleRole)[0].Resource, { 'Fn::GetAtt': [id(fn), 'Arn'] });
    assert.deepEqual(on.json.Resources[scheduleRole].Properties.AssumeRolePolicyDocument.Statement, [{
      Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }]);
    // The alarm: ResourcesNotReady of this payload, one period per check, M checks in a row,
    // a missing check counts as not ready.
    const alarm = on.json.Resources[id(on.construct.readinessAlarm!)].Properties;
    assert.deepEqual({ ...alarm, AlarmDescription: undefined }, {
      AlarmDescription: undefined,
      Namespace: 'AuroraFailback',
      MetricName: 'ResourcesNotReady',
      Dimensions: [{ Name: 'Payload', Value: payload }],
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: id(on.construct.notificationTopic) }],
    });
    assert.ok(on.construct.alarms.includes(on.construct.readinessAlarm!));
    // Only the readiness function and dr-check read metrics; nothing else changes.
    for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
      assert.deepEqual(roleActions(on.json, id(on.construct.roles[key])), expectedActions(key, false), key);
      const readsMetrics = roleActions(on.json, id(on.construct.roles[key])).some((a) => METRIC_READ_ACTIONS.includes(a));
      assert.equal(readsMetrics, key === 'drCheck', key);
    }

    // Other settings: the period and the schedule follow the minutes, the checks the alarm.
    const custom = synth({
      drReadinessPayloadParameter: '/ops/payloads/prod', drReadinessMinutes: 60, drReadinessAlarmChecks: 24,
      drReadinessMaxLagSeconds: 300, drParameterPathPrefix: '/ops/dr-payloads/prod/',
    });
    const cid = (c: { node: Json }) => logicalId(custom.stack, c);
    const customAlarm = custom.json.Resources[cid(custom.construct.readinessAlarm!)].Properties;
    assert.deepEqual([customAlarm.Period, customAlarm.EvaluationPeriods, customAlarm.DatapointsToAlarm], [3600, 24, 24]);
    assert.ok(customAlarm.Period * customAlarm.EvaluationPeriods <= 86400, 'an alarm evaluates at most one day');
    assert.equal(custom.json.Resources[custom.stack.getLogicalId(custom.construct.readinessSchedule!)].Properties.ScheduleExpression,
      'rate(60 minutes)');
    assert.deepEqual(custom.json.Resources[cid(custom.construct.readinessFunction!)].Properties.Environment.Variables,
      { DR_PARAMETER_PATH_PREFIX: '/ops/dr-payloads/prod/', DR_READINESS_MAX_LAG_SECONDS: '300' });
    assert.deepEqual(rolePermissions(custom.json, cid(custom.construct.roles.drReadiness!)),
      readinessPermissions('/ops/payloads/prod', '/ops/dr-payloads/prod/'));
    for (const minutes of [5, 10, 15, 30, 60]) {
      const m = synth({ drReadinessPayloadParameter: payload, drReadinessMinutes: minutes });
      assert.equal(m.json.Resources[logicalId(m.stack, m.construct.readinessAlarm!)].Properties.Period, minutes * 60);
    }
    // The construct refuses what the SAM parameters refuse.
    for (const drReadinessMinutes of [1, 4, 20, 45, 90, 15.5]) {
      assert.throws(() => synth({ drReadinessPayloadParameter: payload, drReadinessMinutes }),
        /drReadinessMinutes must be one of 5, 10, 15, 30, 60/, String(drReadinessMinutes));
    }
    for (const drReadinessAlarmChecks of [0, 25, 2.5]) {
      assert.throws(() => synth({ drReadinessPayloadParameter: payload, drReadinessAlarmChecks }),
        /drReadinessAlarmChecks must be a whole number from 1 to 24/, String(drReadinessAlarmChecks));
    }
    for (const drReadinessMaxLagSeconds of [0, 86401, 1.5]) {
      assert.throws(() => synth({ drReadinessPayloadParameter: payload, drReadinessMaxLagSeconds }),
        /drReadinessMaxLagSeconds must be a whole number from 1 to 86400/, String(drReadinessMaxLagSeconds));
    }
    for (const drReadinessPayloadParameter of ['payload', 'aurora-failback/dr/payload', '/', '/a/', '/a b', '/a"b', '/a\\b',
      `/${'a'.repeat(1011)}`]) {
      assert.throws(() => synth({ drReadinessPayloadParameter }),
        /drReadinessPayloadParameter must be an SSM parameter name that starts with "\/"/, drReadinessPayloadParameter);
    }
  });

  it('lets dr-act switch nothing by default, and only the listed global databases to a cluster here when given', () => {
    assert.deepEqual(rolePermissions(json, roleId('drAct')), drActPermissions([]));
    for (const action of [...DR_SWITCH_ACTIONS, ...DR_CREATION_ACTIONS]) {
      assert.equal(statementsWith(roleStatements(json, roleId('drAct')), action).length, 0, `${action} by default`);
    }
    const globalClusters = ['orders-global', 'payments-global'];
    const configured = synth({ drGlobalClusters: globalClusters });
    const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
    assert.deepEqual(rolePermissions(configured.json, actRole), drActPermissions(globalClusters));
    assert.deepEqual(roleActions(configured.json, actRole), expectedActions('drAct', true));
    // Nothing else changes with the list.
    for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
      assert.deepEqual(roleActions(configured.json, logicalId(configured.stack, configured.construct.roles[key])),
        expectedActions(key, true), key);
    }
    for (const drGlobalClusters of [[''], ['1orders'], ['orders-'], ['orders--global'], ['orders global'], ['a'.repeat(64)]]) {
      assert.throws(() => synth({ drGlobalClusters }), /is not a global cluster identifier/, JSON.stringify(drGlobalClusters));
    }
  });

  it('lets dr-act create a secondary only with global databases listed: of those, in this region, with exact statements', () => {
    // By default, and with only read replicas listed: no statement with CreateDBCluster or
    // CreateDBInstance (the key and PassRole statements come with read replicas too).
    for (const props of [{}, { drInstances: ['orders-replica'] }]) {
      const configured = synth(props);
      const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
      assert.deepEqual(statementShapes(configured.json, actRole, DR_SECONDARY_ACTIONS), [], JSON.stringify(props));
      for (const action of DR_SECONDARY_ACTIONS) {
        assert.ok(!roleActions(configured.json, actRole).includes(action), `${action} ${JSON.stringify(props)}`);
      }
    }
    const variants: Array<{ drGlobalClusters: string[]; drInstances?: string[] }> = [
      { drGlobalClusters: ['orders-global'] },
      { drGlobalClusters: ['orders-global', 'payments-global'] },
      { drGlobalClusters: ['orders-global', 'payments-global'], drInstances: ['orders-replica'] },
    ];
    for (const props of variants) {
      const label = JSON.stringify(props);
      const configured = synth(props);
      const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
      // Three statements: CreateDBCluster on exactly the listed global clusters, from this
      // region only; CreateDBCluster and CreateDBInstance on this region's resources; then
      // (with a read replica's two between them when instances are listed too) CreateGrant
      // and DescribeKey through RDS here, and PassRole to enhanced monitoring, once.
      assert.deepEqual(statementShapes(configured.json, actRole, DR_CREATION_ACTIONS),
        drCreationStatements(props.drGlobalClusters, props.drInstances ?? []), label);
      assert.deepEqual(rolePermissions(configured.json, actRole),
        drActPermissions(props.drGlobalClusters, props.drInstances ?? []), label);
      // Only dr-act gains them: every other role keeps exactly its own actions.
      for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
        assert.deepEqual(roleActions(configured.json, logicalId(configured.stack, configured.construct.roles[key])),
          expectedActions(key, true, (props.drInstances ?? []).length > 0), `${key} ${label}`);
      }
    }
  });

  it('lets dr-act promote nothing by default, and only the listed instances, in this region, when given', () => {
    for (const action of DR_PROMOTE_ACTIONS) {
      assert.equal(statementsWith(roleStatements(json, roleId('drAct')), action).length, 0, `${action} by default`);
    }
    const variants: Array<{ drInstances: string[]; drGlobalClusters?: string[] }> = [
      { drInstances: ['orders-replica'] },
      { drInstances: ['orders-replica', 'reporting-replica'] },
      { drInstances: ['orders-replica', 'reporting-replica'], drGlobalClusters: ['orders-global'] },
    ];
    for (const props of variants) {
      const label = JSON.stringify(props);
      const globalClusters = props.drGlobalClusters ?? [];
      const configured = synth(props);
      const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
      assert.deepEqual(rolePermissions(configured.json, actRole), drActPermissions(globalClusters, props.drInstances), label);
      assert.deepEqual(roleActions(configured.json, actRole), expectedActions('drAct', globalClusters.length > 0, true), label);
      // One statement: PromoteReadReplica alone, on exactly these instances, in the stack's region.
      const promotes = statementsWith(roleStatements(configured.json, actRole), 'rds:PromoteReadReplica');
      assert.equal(promotes.length, 1, label);
      assert.deepEqual(asList(promotes[0].Action), ['rds:PromoteReadReplica'], label);
      assert.deepEqual(asList(promotes[0].Resource), props.drInstances.map((id) => `arn:*:rds:*:*:db:${id}`), label);
      assert.deepEqual(promotes[0].Condition, { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } }, label);
      // Nothing else changes with the list.
      for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
        assert.deepEqual(roleActions(configured.json, logicalId(configured.stack, configured.construct.roles[key])),
          expectedActions(key, globalClusters.length > 0, true), `${key} ${label}`);
      }
    }
    for (const drInstances of [[''], ['1orders'], ['orders-'], ['orders--replica'], ['orders replica'], ['a'.repeat(64)],
      ['arn:aws:rds:eu-west-1:123456789012:db:orders'], ['orders-replica', 'bad_id']]) {
      assert.throws(() => synth({ drInstances }), /drInstances: .* is not a DB instance identifier/, JSON.stringify(drInstances));
    }
    synth({ drInstances: ['a', 'A1-b2', 'a'.repeat(63)] });
  });

  it('lets dr-act create a read replica only of and as the listed instances, with this region\'s groups, the source in any region', () => {
    // By default, and with only global databases listed: no CreateDBInstanceReadReplica.
    for (const props of [{}, { drGlobalClusters: ['orders-global'] }]) {
      const configured = synth(props);
      const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
      assert.equal(statementsWith(roleStatements(configured.json, actRole), 'rds:CreateDBInstanceReadReplica').length, 0,
        JSON.stringify(props));
    }
    const variants: Array<{ drInstances: string[]; drGlobalClusters?: string[] }> = [
      { drInstances: ['orders-replica'] },
      { drInstances: ['orders-replica', 'reporting-replica'] },
      { drInstances: ['orders-replica', 'reporting-replica'], drGlobalClusters: ['orders-global'] },
    ];
    for (const props of variants) {
      const label = JSON.stringify(props);
      const globalClusters = props.drGlobalClusters ?? [];
      const configured = synth(props);
      const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
      const statements = roleStatements(configured.json, actRole);
      // Two statements: the listed instances (source or new replica), in any region and
      // with no condition, since the source is authorised in its own region; and this
      // region's subnet, parameter and option groups.
      const replicas = statementsWith(statements, 'rds:CreateDBInstanceReadReplica');
      assert.equal(replicas.length, 2, label);
      assert.deepEqual(asList(replicas[0].Action), DR_REPLICA_ACTIONS, label);
      assert.deepEqual(asList(replicas[0].Resource), props.drInstances.map(listedInstance), label);
      assert.equal(replicas[0].Condition, undefined, label);
      assert.deepEqual(asList(replicas[1].Action), DR_REPLICA_ACTIONS, label);
      assert.deepEqual(asList(replicas[1].Resource).map(normaliseIntrinsics), REPLICA_GROUP_RESOURCES, label);
      assert.equal(replicas[1].Condition, undefined, label);
      // The key grant and the monitoring role, once each, whether or not global databases are listed too.
      for (const action of DR_NEW_INSTANCE_ACTIONS) {
        assert.equal(statementsWith(statements, action).length, 1, `${action} ${label}`);
      }
      assert.deepEqual(statementShapes(configured.json, actRole, DR_CREATION_ACTIONS),
        drCreationStatements(globalClusters, props.drInstances), label);
      assert.deepEqual(rolePermissions(configured.json, actRole), drActPermissions(globalClusters, props.drInstances), label);
      // Only dr-act gains it.
      for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
        assert.deepEqual(roleActions(configured.json, logicalId(configured.stack, configured.construct.roles[key])),
          expectedActions(key, globalClusters.length > 0, true), `${key} ${label}`);
      }
    }
  });

  it('gives dr-act the key grant and PassRole only with global databases or instances listed, once', () => {
    const cases: Array<[string, { drGlobalClusters?: string[]; drInstances?: string[]; drRestoreTargets?: string[] }, boolean]> = [
      ['empty', {}, false],
      ['instances only', { drInstances: ['orders-replica'] }, true],
      ['global databases only', { drGlobalClusters: ['orders-global'] }, true],
      ['both', { drGlobalClusters: ['orders-global'], drInstances: ['orders-replica'] }, true],
      ['restore targets only', { drRestoreTargets: ['orders-restored'] }, true],
      ['all three', { drGlobalClusters: ['orders-global'], drInstances: ['orders-replica'], drRestoreTargets: ['orders-restored'] }, true],
    ];
    for (const [name, props, expected] of cases) {
      const configured = synth(props);
      const actRole = logicalId(configured.stack, configured.construct.roles.drAct);
      const shapes = statementShapes(configured.json, actRole, DR_NEW_INSTANCE_ACTIONS);
      assert.deepEqual(shapes.map((s: Json) => s.Sid),
        expected ? ['UseNewInstanceKeysThroughRdsOnly', 'PassNewInstanceMonitoringRoleOnly'] : [], name);
      assert.deepEqual(shapes, drCreationStatements(props.drGlobalClusters ?? [], props.drInstances ?? [], props.drRestoreTargets ?? [])
        .filter((s) => s.Action.some((a) => DR_NEW_INSTANCE_ACTIONS.includes(a))), name);
    }
  });

  it('lets dr-act restore nothing by default, and only into the listed clusters and instances, in this region, when given', () => {
    // By default, and with every other list set: no restore, and no snapshot read for dr-check or dr-act.
    for (const props of [{}, { drGlobalClusters: ['orders-global'], drInstances: ['orders-replica'], drReplicaClusters: ['orders-replica-cluster'] }]) {
      const configured = synth(props);
      for (const key of ['drCheck', 'drAct'] as const) {
        const actions = roleActions(configured.json, logicalId(configured.stack, configured.construct.roles[key]));
        for (const action of [...DR_RESTORE_ACTIONS.filter((a) => a !== 'rds:CreateDBInstance'), ...DR_SNAPSHOT_READ_ACTIONS]) {
          assert.ok(!actions.includes(action), `${key} ${action} ${JSON.stringify(props)}`);
        }
      }
    }
    const variants: Array<{ drRestoreTargets: string[]; drGlobalClusters?: string[]; drInstances?: string[] }> = [
      { drRestoreTargets: ['orders-restored'] },
      { drRestoreTargets: ['orders-restored', 'reporting-restored'] },
      { drRestoreTargets: ['orders-restored'], drGlobalClusters: ['orders-global'], drInstances: ['orders-replica'] },
    ];
    for (const props of variants) {
      const label = JSON.stringify(props);
      const globalClusters = props.drGlobalClusters ?? [];
      const instances = props.drInstances ?? [];
      const configured = synth(props);
      const role = (key: RoleKey) => logicalId(configured.stack, configured.construct.roles[key]);
      // Exactly: the snapshot reads, then the restores, last among dr-act's statements.
      const act = inlineStatementShapes(configured.json, role('drAct'));
      const restoring = [...SNAPSHOT_READ_STATEMENTS, ...drRestoreStatements(props.drRestoreTargets)];
      assert.deepEqual(act.slice(act.length - restoring.length), restoring, label);
      assert.deepEqual(rolePermissions(configured.json, role('drAct')),
        drActPermissions(globalClusters, instances, [], [], props.drRestoreTargets), label);
      // The restores name exactly the listed clusters and instances, in this region; the point-in-time
      // source must be protected; a cluster's new instances must be Aurora ones.
      const statements = roleStatements(configured.json, role('drAct'));
      for (const action of ['rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot']) {
        const onTargets = statementsWith(statements, action).filter((st) => asList(st.Resource).some((r: Json) =>
          typeof r === 'string' && r.startsWith('arn:*:rds:*:*:')));
        assert.equal(onTargets.length, 1, `${action} ${label}`);
        assert.deepEqual(onTargets[0].Condition, { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } }, `${action} ${label}`);
        assert.deepEqual(asList(onTargets[0].Resource).map((r: string) => r.split(':').pop()), props.drRestoreTargets, `${action} ${label}`);
      }
      const pointInTimeSource = statementsWith(statements, 'rds:RestoreDBClusterToPointInTime')
        .filter((st) => JSON.stringify(st.Resource).includes(':cluster:*'));
      assert.deepEqual(pointInTimeSource.map((st) => st.Condition),
        [{ StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:backup': 'true' } }], label);
      const anyInstance = statementsWith(statements, 'rds:CreateDBInstance').filter((st) => JSON.stringify(st.Resource).includes(':db:*'));
      assert.deepEqual(anyInstance.map((st) => st.Sid),
        [...(globalClusters.length > 0 ? ['CreateSecondaryInstanceInThisRegion'] : []), 'CreateAuroraInstancesInThisRegionOnly'], label);
      assert.deepEqual(anyInstance[anyInstance.length - 1].Condition, { StringLike: { 'rds:DatabaseEngine': 'aurora*' } }, label);
      for (const tagging of statementsWith(statements, 'rds:AddTagsToResource')) {
        assert.deepEqual(tagging.Condition.Null, { 'aws:RequestTag/aurora-failback:restore': 'false' }, label);
      }
      // dr-check reads the same snapshots; nothing else changes.
      assert.deepEqual(rolePermissions(configured.json, role('drCheck')), drCheckPermissions(false, true), label);
      for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
        assert.deepEqual(roleActions(configured.json, role(key)),
          expectedActions(key, globalClusters.length > 0, instances.length > 0, { restoreTargets: true }), `${key} ${label}`);
      }
    }
    for (const drRestoreTargets of [[''], ['1orders'], ['orders-'], ['orders_restored'], ['a'.repeat(64)],
      ['arn:aws:rds:eu-west-1:123456789012:cluster:x']]) {
      assert.throws(() => synth({ drRestoreTargets }), /drRestoreTargets: .* is not a DB cluster or DB instance identifier/,
        JSON.stringify(drRestoreTargets));
    }
  });

  it('deploys no backup plan, vault or RPO watch by default', () => {
    for (const property of ['backupVault', 'backupPlan', 'backupSelection', 'backupWatchFunction', 'backupWatchSchedule', 'backupWatchAlarm'] as const) {
      assert.equal(construct[property], undefined, property);
    }
    assert.equal(construct.roles.backup, undefined);
    assert.equal(construct.roles.backupWatch, undefined);
    assert.equal(construct.roles.backupWatchSchedule, undefined);
    for (const type of ['AWS::Backup::BackupVault', 'AWS::Backup::BackupPlan', 'AWS::Backup::BackupSelection']) {
      template.resourceCountIs(type, 0);
    }
    // The other backup props alone deploy nothing either (as the SAM condition HasBackup).
    const without = synth({ backupSchedule: 'cron(0 5 ? * * *)', backupRetentionDays: 3, backupCopyRetentionDays: 30, backupRpoMinutes: 60,
      backupCopyVaultArn: '' });
    without.template.resourceCountIs('AWS::Backup::BackupPlan', 0);
    without.template.resourceCountIs('AWS::Lambda::Function', 8);
  });

  it('backs up the protected clusters and instances with AWS Backup, copies them to the DR vault, and watches the RPO', () => {
    const vaultArn = 'arn:aws:backup:eu-central-1:123456789012:backup-vault:aurora-failback-copies';
    const on = synth({ backupCopyVaultArn: vaultArn });
    const id = (c: { node: Json }) => logicalId(on.stack, c);
    const cfn = (c: Json) => on.json.Resources[on.stack.getLogicalId(c)];
    on.template.resourceCountIs('AWS::Lambda::Function', 9);
    on.template.resourceCountIs('AWS::IAM::Role', 14);
    on.template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    // This region's vault: the stack's key, retained.
    const vault = cfn(on.construct.backupVault!);
    assert.deepEqual(vault.Properties.EncryptionKeyArn, { 'Fn::GetAtt': [id(on.construct.key), 'Arn'] });
    assert.deepEqual([vault.DeletionPolicy, vault.UpdateReplacePolicy], ['Retain', 'Retain']);
    assert.deepEqual(vault.Properties.BackupVaultName, { 'Fn::Sub': ['aurora-failback-${StackId}', {
      StackId: { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] },
    }] });
    // One rule: every 2 hours, snapshots kept 7 days here, copied to the DR vault and kept 14 days there.
    const plan = cfn(on.construct.backupPlan!).Properties.BackupPlan;
    assert.deepEqual(plan.BackupPlanName, vault.Properties.BackupVaultName);
    assert.deepEqual(plan.BackupPlanRule, [{
      RuleName: 'copy-to-dr-region',
      TargetBackupVault: { Ref: on.stack.getLogicalId(on.construct.backupVault!) },
      ScheduleExpression: 'cron(0 */2 * * ? *)',
      StartWindowMinutes: 60,
      CompletionWindowMinutes: 180,
      EnableContinuousBackup: false,
      Lifecycle: { DeleteAfterDays: 7 },
      CopyActions: [{ DestinationBackupVaultArn: vaultArn, Lifecycle: { DeleteAfterDays: 14 } }],
    }]);
    // The selection: RDS clusters and instances of this account and region, tagged aurora-failback:backup=true.
    const selection = cfn(on.construct.backupSelection!).Properties;
    assert.deepEqual(selection.BackupPlanId, { Ref: on.stack.getLogicalId(on.construct.backupPlan!) });
    assert.deepEqual(normaliseIntrinsics(selection.BackupSelection), {
      SelectionName: 'protected-clusters-and-instances',
      IamRoleArn: '${GetAtt.Arn}',
      Resources: ['cluster', 'db'].map((type) => `arn:\${AWS::Partition}:rds:\${AWS::Region}:\${AWS::AccountId}:${type}:*`),
      Conditions: { StringEquals: [{ ConditionKey: 'aws:ResourceTag/aurora-failback:backup', ConditionValue: 'true' }] },
    });
    assert.deepEqual(selection.BackupSelection.IamRoleArn, { 'Fn::GetAtt': [id(on.construct.roles.backup!), 'Arn'] });
    // AWS Backup's role: trusted by AWS Backup only, the managed policy for backups only; the only
    // managed policy of the stack.
    const backupRole = on.json.Resources[id(on.construct.roles.backup!)].Properties;
    assert.deepEqual(backupRole.AssumeRolePolicyDocument.Statement,
      [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' } }]);
    assert.deepEqual(normaliseIntrinsics(backupRole.ManagedPolicyArns), [BACKUP_SERVICE_POLICY_ARN]);
    assert.deepEqual(roleStatements(on.json, id(on.construct.roles.backup!)), []);
    for (const [roleId, role] of resourcesOfType(on.json, 'AWS::IAM::Role')) {
      if (roleId !== id(on.construct.roles.backup!)) {
        assert.equal(role.Properties.ManagedPolicyArns, undefined, `${roleId} has a managed policy`);
      }
      for (const statement of roleStatements(on.json, roleId)) {
        for (const action of asList(statement.Action)) {
          assert.ok(!action.includes('*'), `${roleId} allows ${action}`);
        }
      }
    }
    // The RPO watch: built from its crate as the others, told the copy's region and the RPO.
    const fn = on.construct.backupWatchFunction!;
    const props = on.json.Resources[id(fn)].Properties;
    assert.equal(BACKUP_WATCH_BINARY, 'backup-watch');
    assert.equal(props.Runtime, 'provided.al2023');
    assert.deepEqual(props.Architectures, ['arm64']);
    assert.deepEqual(props.TracingConfig, { Mode: 'Active' });
    assert.equal(props.Timeout, 60);
    assert.deepEqual(props.Environment.Variables, { BACKUP_COPY_REGION: 'eu-central-1', BACKUP_RPO_MINUTES: '180' });
    assert.equal(on.json.Resources[props.LoggingConfig.LogGroup.Ref].Properties.LogGroupName, '/aws/lambda/Test/backup-watch');
    on.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id(fn) }, Qualifier: '$LATEST', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300,
    });
    // Its own role, reads only: this region's clusters and instances, the copy region's snapshots.
    const watchRole = id(on.construct.roles.backupWatch!);
    assert.equal(functionRoleId(on.json, id(fn)), watchRole);
    assert.deepEqual(roleActions(on.json, watchRole), BACKUP_WATCH_ACTIONS);
    assert.deepEqual(rolePermissions(on.json, watchRole), backupWatchPermissions('eu-central-1'));
    // The schedule: every 15 minutes, input {}, no retry; its role invokes that function only.
    const schedule = cfn(on.construct.backupWatchSchedule!).Properties;
    assert.equal(schedule.ScheduleExpression, 'rate(15 minutes)');
    assert.deepEqual(schedule.FlexibleTimeWindow, { Mode: 'OFF' });
    assert.equal(schedule.State, 'ENABLED');
    assert.deepEqual(schedule.Target.Arn, { 'Fn::GetAtt': [id(fn), 'Arn'] });
    assert.equal(schedule.Target.Input, '{}');
    assert.deepEqual(schedule.Target.RetryPolicy, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    const scheduleRole = id(on.construct.roles.backupWatchSchedule!);
    assert.deepEqual(schedule.Target.RoleArn, { 'Fn::GetAtt': [scheduleRole, 'Arn'] });
    assert.deepEqual(rolePermissions(on.json, scheduleRole), BACKUP_WATCH_SCHEDULE_PERMISSIONS);
    assert.deepEqual(roleStatements(on.json, scheduleRole)[0].Resource, { 'Fn::GetAtt': [id(fn), 'Arn'] });
    assert.deepEqual(on.json.Resources[scheduleRole].Properties.AssumeRolePolicyDocument.Statement, [{
      Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'scheduler.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }]);
    // The alarm: CopiesOutsideRpo without dimensions, two 15-minute periods in a row, a missing
    // check counts as outside the RPO; into the topic.
    const alarm = on.json.Resources[id(on.construct.backupWatchAlarm!)].Properties;
    assert.deepEqual({ ...alarm, AlarmDescription: undefined }, {
      AlarmDescription: undefined,
      Namespace: 'AuroraFailback',
      MetricName: 'CopiesOutsideRpo',
      Statistic: 'Maximum',
      Period: 900,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: id(on.construct.notificationTopic) }],
    });
    assert.ok(alarm.AlarmDescription.includes('180 minutes'), alarm.AlarmDescription);
    assert.ok(on.construct.alarms.includes(on.construct.backupWatchAlarm!));
    // Nothing else changes.
    for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
      assert.deepEqual(roleActions(on.json, id(on.construct.roles[key])), expectedActions(key, false), key);
    }
    for (const [resourceId, resource] of Object.entries<Json>(on.json.Resources)) {
      for (const skip of asList<Json>(resource.Metadata?.checkov?.skip)) {
        assert.ok(typeof skip.comment === 'string' && skip.comment.length > 30, `${resourceId} ${skip.id} needs a reason`);
      }
    }

    // Other settings reach the plan, the function and the alarm.
    const custom = synth({
      backupCopyVaultArn: 'arn:aws:backup:us-west-2:123456789012:backup-vault:dr', backupSchedule: 'cron(0 * * * ? *)',
      backupRetentionDays: 3, backupCopyRetentionDays: 35, backupRpoMinutes: 90,
    });
    const customRule = custom.json.Resources[custom.stack.getLogicalId(custom.construct.backupPlan!)].Properties.BackupPlan.BackupPlanRule[0];
    assert.deepEqual([customRule.ScheduleExpression, customRule.Lifecycle, customRule.CopyActions],
      ['cron(0 * * * ? *)', { DeleteAfterDays: 3 },
        [{ DestinationBackupVaultArn: 'arn:aws:backup:us-west-2:123456789012:backup-vault:dr', Lifecycle: { DeleteAfterDays: 35 } }]]);
    assert.deepEqual(custom.json.Resources[logicalId(custom.stack, custom.construct.backupWatchFunction!)].Properties.Environment.Variables,
      { BACKUP_COPY_REGION: 'us-west-2', BACKUP_RPO_MINUTES: '90' });
    assert.deepEqual(rolePermissions(custom.json, logicalId(custom.stack, custom.construct.roles.backupWatch!)),
      backupWatchPermissions('us-west-2'));
  });

  it('has no "*" action, no managed policy and "*" resources only where IAM allows nothing else', () => {
    for (const [id, role] of resourcesOfType(json, 'AWS::IAM::Role')) {
      assert.equal(role.Properties.ManagedPolicyArns, undefined, `${id} has a managed policy`);
      for (const statement of roleStatements(json, id)) {
        for (const action of asList(statement.Action)) {
          assert.ok(!action.includes('*'), `${id} allows ${action}`);
          if (statement.Resource === '*' || asList(statement.Resource).includes('*')) {
            assert.ok(WILDCARD_RESOURCE_ACTIONS.has(action), `${id} allows ${action} on every resource`);
          }
        }
        assert.equal(statement.Effect, 'Allow');
      }
    }
  });

  it('limits the mutating RDS calls to opted-in clusters and tagged new instances', () => {
    const optedIn = { StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:enabled': 'true' } };
    const createReader = roleStatements(json, roleId('createReader'));
    const creates = statementsWith(createReader, 'rds:CreateDBInstance');
    const onClusters = creates.filter((s) => JSON.stringify(s.Resource).includes(':cluster:'));
    assert.equal(onClusters.length, 1);
    assert.deepEqual(onClusters[0].Condition, optedIn);
    const onInstances = creates.filter((s) => JSON.stringify(s.Resource).includes(':db:'));
    assert.equal(onInstances.length, 1);
    assert.deepEqual(onInstances[0].Condition, { Null: { 'aws:RequestTag/aurora-failback:run': 'false' } });
    for (const s of statementsWith(createReader, 'rds:AddTagsToResource')) {
      assert.deepEqual(s.Condition, { Null: { 'aws:RequestTag/aurora-failback:run': 'false' } });
    }
    for (const s of statementsWith(createReader, 'iam:PassRole')) {
      assert.deepEqual(s.Condition, { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } });
    }
    for (const s of statementsWith(createReader, 'kms:CreateGrant')) {
      assert.ok(JSON.stringify(s.Condition).includes('kms:ViaService'));
    }
    const failovers = statementsWith(roleStatements(json, roleId('failover')), 'rds:FailoverDBCluster');
    assert.equal(failovers.length, 1);
    assert.deepEqual(failovers[0].Condition, optedIn);
  });

  it('lets the roles act on untagged clusters only with allowUntaggedManualRuns', () => {
    const untagged = synth({ allowUntaggedManualRuns: true });
    const untaggedRole = (key: FunctionKey) => logicalId(untagged.stack, untagged.construct.roles[key]);
    const failovers = statementsWith(roleStatements(untagged.json, untaggedRole('failover')), 'rds:FailoverDBCluster');
    assert.equal(failovers.length, 1);
    assert.equal(failovers[0].Condition, undefined, 'FailoverDBCluster on any cluster');
    assert.ok(JSON.stringify(failovers[0].Resource).includes(':cluster:*'));
    const creates = statementsWith(roleStatements(untagged.json, untaggedRole('createReader')), 'rds:CreateDBInstance');
    const onClusters = creates.filter((s) => JSON.stringify(s.Resource).includes(':cluster:'));
    assert.equal(onClusters.length, 1);
    assert.equal(onClusters[0].Condition, undefined, 'CreateDBInstance in any cluster');
    // The new instance still has to carry the run tag, and nothing else changes.
    const onInstances = creates.filter((s) => JSON.stringify(s.Resource).includes(':db:'));
    assert.deepEqual(onInstances.map((s) => s.Condition), [{ Null: { 'aws:RequestTag/aurora-failback:run': 'false' } }]);
    for (const key of Object.keys(EXPECTED_ACTIONS) as RoleKey[]) {
      assert.deepEqual(roleActions(untagged.json, logicalId(untagged.stack, untagged.construct.roles[key])),
        expectedActions(key, false), key);
    }
    // Explicitly false is the default: tag-conditioned.
    const tagged = synth({ allowUntaggedManualRuns: false });
    const taggedFailovers = statementsWith(
      roleStatements(tagged.json, logicalId(tagged.stack, tagged.construct.roles.failover)), 'rds:FailoverDBCluster');
    assert.deepEqual(taggedFailovers.map((s) => s.Condition),
      [{ StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:enabled': 'true' } }]);
  });

  it('lets create-reader resize any instance of its region and delete only run-tagged ones, and no other role either', () => {
    const untagged = synth({ allowUntaggedManualRuns: true });
    // Every optional part on: the DR and backup roles exist too, and may do neither.
    const full = synth({
      drGlobalClusters: ['orders-global'], drInstances: ['orders-replica'], drGlobalReplicationGroups: ['ldgnf-sessions'],
      drReplicaClusters: ['orders-replica-cluster'], drRestoreTargets: ['orders-restored'],
      drReadinessPayloadParameter: '/aurora-failback/dr/payload',
      backupCopyVaultArn: 'arn:aws:backup:eu-central-1:123456789012:backup-vault:aurora-failback-copies',
    });
    const synths = [['defaults', { stack, construct, json }], ['allowUntaggedManualRuns', untagged], ['every optional part', full]] as const;
    for (const [name, s] of synths) {
      const readerRole = logicalId(s.stack, s.construct.roles.createReader);
      // Exactly these two statements, the same with or without allowUntaggedManualRuns:
      // the resize on any instance here (IAM cannot tie it to the cluster's opt-in tag),
      // the delete only where the run tag is.
      assert.deepEqual(statementShapes(s.json, readerRole, READER_INSTANCE_ACTIONS), READER_INSTANCE_STATEMENTS, name);
      for (const [id] of resourcesOfType(s.json, 'AWS::IAM::Role')) {
        if (id !== readerRole) {
          const actions = roleActions(s.json, id);
          assert.deepEqual(READER_INSTANCE_ACTIONS.filter((a) => actions.includes(a)), [], `${id} (${name})`);
        }
      }
      // Capacity fallback retries CreateDBInstance in other zones and with fallback classes:
      // no statement pins either (the conditions are the opt-in tag and the run tag, only).
      const creates = statementShapes(s.json, readerRole, ['rds:CreateDBInstance']);
      assert.deepEqual(creates.map((c) => [c.Sid, c.Condition]), [
        name === 'allowUntaggedManualRuns' ? ['CreateInstanceInAnyCluster', undefined]
          : ['CreateInstanceInOptedInClusterOnly', { StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:enabled': 'true' } }],
        ['CreateInstanceCarryingRunTag', { Null: { 'aws:RequestTag/aurora-failback:run': 'false' } }],
        ['CreateInstanceWithClustersGroups', undefined],
      ], name);
    }
  });

  it('lets only describe-writer and create-reader list orderable instance classes, on "*"', () => {
    for (const key of FUNCTION_KEYS) {
      const orderable = statementsWith(roleStatements(json, roleId(key)), 'rds:DescribeOrderableDBInstanceOptions');
      if (key === 'describeWriter' || key === 'createReader') {
        assert.equal(orderable.length, 1, key);
        assert.deepEqual(asList(orderable[0].Resource), ['*'], key);
        assert.deepEqual(asList(orderable[0].Action), ['rds:DescribeOrderableDBInstanceOptions'], key);
        assert.equal(orderable[0].Condition, undefined, key);
      } else {
        assert.equal(orderable.length, 0, key);
      }
    }
  });

  it('lets each state machine invoke only its own functions and put events only on the default bus', () => {
    const machines: Array<[RoleKey, readonly FunctionKey[], string]> = [
      ['stateMachine', FAILBACK_FUNCTIONS, 'Aurora Failback Run Finished'],
      ['drStateMachine', DR_FUNCTIONS, 'Aurora Failback DR Run Finished'],
    ];
    for (const [role, keys, detailType] of machines) {
      const statements = roleStatements(json, roleId(role));
      const invoke = statementsWith(statements, 'lambda:InvokeFunction');
      assert.equal(invoke.length, 1, role);
      assert.deepEqual(asList(invoke[0].Resource), keys.map((key) => ({ 'Fn::GetAtt': [fnId(key), 'Arn'] })), role);
      const put = statementsWith(statements, 'events:PutEvents');
      assert.equal(put.length, 1, role);
      assert.ok(JSON.stringify(put[0].Resource).endsWith(':event-bus/default"]]}'), JSON.stringify(put[0].Resource));
      assert.deepEqual(put[0].Condition, {
        StringEquals: { 'events:source': 'aurora-failback', 'events:detail-type': detailType },
      }, role);
    }
    // The DR machine starts the failback machine, and nothing else; the failback machine starts nothing.
    const starts = statementsWith(roleStatements(json, roleId('drStateMachine')), 'states:StartExecution');
    assert.deepEqual(starts.map((s) => [s.Sid, asList(s.Action), asList(s.Resource), s.Condition]),
      [['StartFailbackStateMachineOnly', ['states:StartExecution'], [{ Ref: logicalId(stack, construct.stateMachine) }], undefined]]);
    assert.equal(statementsWith(roleStatements(json, roleId('stateMachine')), 'states:StartExecution').length, 0);
  });

  it('writes every checkov suppression next to its resource with a reason', () => {
    for (const [id, resource] of Object.entries<Json>(json.Resources)) {
      for (const skip of asList<Json>(resource.Metadata?.checkov?.skip)) {
        assert.match(skip.id, /^CKV2?_AWS_\d+$/, id);
        assert.ok(typeof skip.comment === 'string' && skip.comment.length > 30, `${id} ${skip.id} needs a reason`);
      }
    }
  });
});
