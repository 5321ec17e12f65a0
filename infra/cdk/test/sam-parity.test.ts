// infra/template.yaml (SAM) and the AuroraFailback construct deploy the same thing:
// the same functions, roles, rules and table. These tests read the SAM template and
// compare it with the synthesised construct.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { DEFINITION_SUBSTITUTIONS, FUNCTION_BINARIES, FunctionKey } from '../lib';
import { EXPECTED_ACTIONS, WILDCARD_RESOURCE_ACTIONS } from './expected';
import {
  asList,
  definitionPath,
  functionRoleId,
  Json,
  loadSamTemplate,
  logicalId,
  placeholders,
  REAL_DEFINITION,
  REPO_ROOT,
  resolveSamConditions,
  resourcesOfType,
  roleActions,
  rolePermissions,
  roleStatements,
  SAM_TEMPLATE,
  synth,
} from './support';

const SAM_FUNCTIONS: Record<FunctionKey, string> = {
  describeWriter: 'DescribeWriterFunction',
  createReader: 'CreateReaderFunction',
  checkStatus: 'CheckStatusFunction',
  failover: 'FailoverFunction',
  recordRun: 'RecordRunFunction',
};

const FUNCTION_KEYS = Object.keys(FUNCTION_BINARIES) as FunctionKey[];

function withoutIntrinsics(value: Json): Json {
  // Rule patterns compare equal once the references to the state machine are dropped.
  return JSON.parse(JSON.stringify(value, (_key, v) => (v && typeof v === 'object' && !Array.isArray(v)
    && (v.Ref || v['Fn::GetAtt']) ? 'REF' : v)));
}

describe('SAM template', () => {
  const raw = loadSamTemplate();
  // As deployed with the default parameters, and the construct with its default props.
  const sam = resolveSamConditions(raw);
  const cdk = synth();
  const cdkFn = (key: FunctionKey) => logicalId(cdk.stack, cdk.construct.functions[key]);
  const globals = sam.Globals.Function;
  // Each setting of a parameter that changes the roles, in both templates.
  const variants: Array<{ name: string; sam: Json; cdk: ReturnType<typeof synth> }> = [
    { name: 'AllowUntaggedManualRuns=false', sam, cdk },
    {
      name: 'AllowUntaggedManualRuns=true',
      sam: resolveSamConditions(raw, { AllowUntaggedManualRuns: 'true' }),
      cdk: synth({ allowUntaggedManualRuns: true }),
    },
  ];
  const variantFn = (variant: { cdk: ReturnType<typeof synth> }, key: FunctionKey) =>
    logicalId(variant.cdk.stack, variant.cdk.construct.functions[key]);

  it('builds each function from the workspace with rust-cargolambda for provided.al2023 on arm64', () => {
    assert.equal(sam.Transform, 'AWS::Serverless-2016-10-31');
    assert.equal(globals.Runtime, 'provided.al2023');
    assert.deepEqual(globals.Architectures, ['arm64']);
    assert.equal(globals.Handler, 'bootstrap');
    assert.equal(globals.Tracing, 'Active');
    assert.ok(fs.existsSync(path.join(path.dirname(SAM_TEMPLATE), globals.CodeUri, 'Cargo.toml')),
      'CodeUri is the workspace root');
    for (const key of FUNCTION_KEYS) {
      const fn = sam.Resources[SAM_FUNCTIONS[key]];
      assert.equal(fn.Type, 'AWS::Serverless::Function', key);
      assert.equal(fn.Metadata.BuildMethod, 'rust-cargolambda', key);
      assert.equal(fn.Metadata.BuildProperties.Binary, FUNCTION_BINARIES[key], key);
      assert.ok(fs.existsSync(path.join(REPO_ROOT, 'crates', FUNCTION_BINARIES[key], 'Cargo.toml')),
        `crates/${FUNCTION_BINARIES[key]} exists`);
      assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON', key);
      const logGroup = sam.Resources[fn.Properties.LoggingConfig.LogGroup.Ref];
      assert.equal(logGroup.Type, 'AWS::Logs::LogGroup', key);
      assert.deepEqual(logGroup.Properties.RetentionInDays, { Ref: 'LogRetentionInDays' }, key);
      const timeout = fn.Properties.Timeout ?? globals.Timeout;
      assert.equal(timeout, cdk.json.Resources[cdkFn(key)].Properties.Timeout, `${key} timeout`);
      const samVariables = Object.keys(fn.Properties.Environment?.Variables ?? {});
      const cdkVariables = Object.keys(cdk.json.Resources[cdkFn(key)].Properties.Environment?.Variables ?? {});
      assert.deepEqual(samVariables, cdkVariables, `${key} environment`);
    }
  });

  it('passes the parameters to the same variables as the construct, with the same defaults', () => {
    const fromParameters: Record<string, string> = {
      DRY_RUN_ONLY: 'DryRunOnly',
      MAX_EVENT_AGE_SECONDS: 'MaxEventAgeSeconds',
      ALLOW_UNTAGGED_MANUAL_RUNS: 'AllowUntaggedManualRuns',
    };
    const users: Record<string, FunctionKey[]> = {
      DRY_RUN_ONLY: ['describeWriter'],
      MAX_EVENT_AGE_SECONDS: ['describeWriter', 'recordRun'],
      ALLOW_UNTAGGED_MANUAL_RUNS: ['describeWriter', 'createReader', 'failover'],
    };
    for (const [variable, parameter] of Object.entries(fromParameters)) {
      for (const key of FUNCTION_KEYS) {
        const samValue = sam.Resources[SAM_FUNCTIONS[key]].Properties.Environment?.Variables?.[variable];
        const cdkValue = cdk.json.Resources[cdkFn(key)].Properties.Environment?.Variables?.[variable];
        if (users[variable].includes(key)) {
          assert.deepEqual(samValue, { Ref: parameter }, `${key} ${variable}`);
          assert.equal(cdkValue, String(sam.Parameters[parameter].Default), `${key} ${variable} default`);
        } else {
          assert.equal(samValue, undefined, `${key} ${variable}`);
          assert.equal(cdkValue, undefined, `${key} ${variable}`);
        }
      }
    }
    const age = sam.Parameters.MaxEventAgeSeconds;
    assert.deepEqual([age.Type, age.Default, age.MinValue, age.MaxValue], ['Number', 1800, 60, 86400]);
    const untagged = sam.Parameters.AllowUntaggedManualRuns;
    assert.deepEqual([untagged.Type, untagged.Default, untagged.AllowedValues], ['String', 'false', ['true', 'false']]);
    assert.deepEqual(raw.Conditions.AllowUntagged, { 'Fn::Equals': [{ Ref: 'AllowUntaggedManualRuns' }, 'true'] });
  });

  it('gives each function role the same actions as the construct', () => {
    for (const variant of variants) {
      for (const key of FUNCTION_KEYS) {
        const roleId = functionRoleId(variant.sam, SAM_FUNCTIONS[key]);
        const label = `${key} (${variant.name})`;
        assert.deepEqual(roleActions(variant.sam, roleId), [...EXPECTED_ACTIONS[key]].sort(), label);
        assert.deepEqual(roleActions(variant.sam, roleId),
          roleActions(variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, key))), label);
      }
    }
    const machine = sam.Resources.FailbackStateMachine.Properties;
    const machineRole = machine.Role['Fn::GetAtt'][0];
    assert.deepEqual(roleActions(sam, machineRole), [...EXPECTED_ACTIONS.stateMachine].sort());
    const startRole = sam.Resources.FailoverEventRule.Properties.Targets[0].RoleArn['Fn::GetAtt'][0];
    assert.deepEqual(roleActions(sam, startRole), EXPECTED_ACTIONS.startRuns);
    assert.equal(resourcesOfType(sam, 'AWS::IAM::Role').length, 7);
  });

  it('has the same conditions on every statement as the construct', () => {
    const conditions = (template: Json, roleId: string) => roleStatements(template, roleId)
      .filter((s) => s.Condition)
      .map((s) => `${asList(s.Action).sort().join(',')} ${Object.entries(s.Condition)
        .map(([op, keys]) => `${op}:${Object.keys(keys as object).sort().join(',')}`).sort().join(';')}`)
      .sort();
    for (const variant of variants) {
      for (const key of FUNCTION_KEYS) {
        assert.deepEqual(
          conditions(variant.sam, functionRoleId(variant.sam, SAM_FUNCTIONS[key])),
          conditions(variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, key))), `${key} (${variant.name})`);
      }
    }
  });

  it('allows each function role the same actions on the same resources under the same conditions as the construct', () => {
    for (const variant of variants) {
      for (const key of FUNCTION_KEYS) {
        assert.deepEqual(
          rolePermissions(variant.sam, functionRoleId(variant.sam, SAM_FUNCTIONS[key])),
          rolePermissions(variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, key))), `${key} (${variant.name})`);
      }
    }
  });

  it('drops the opt-in tag condition from the cluster mutations only with AllowUntaggedManualRuns=true', () => {
    const optedIn = { StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:enabled': 'true' } };
    for (const variant of variants) {
      const allowUntagged = variant.name.endsWith('=true');
      const onClusters = (key: FunctionKey, action: string) => roleStatements(variant.sam, functionRoleId(variant.sam, SAM_FUNCTIONS[key]))
        .filter((s) => asList(s.Action).includes(action) && JSON.stringify(s.Resource).includes(':cluster:*'));
      for (const [key, action] of [['createReader', 'rds:CreateDBInstance'], ['failover', 'rds:FailoverDBCluster']] as const) {
        const statements = onClusters(key, action);
        assert.equal(statements.length, 1, `${action} (${variant.name})`);
        assert.deepEqual(statements[0].Condition, allowUntagged ? undefined : optedIn, `${action} (${variant.name})`);
      }
      // The new instance must carry the run tag either way.
      const onInstances = roleStatements(variant.sam, functionRoleId(variant.sam, SAM_FUNCTIONS.createReader))
        .filter((s) => asList(s.Action).includes('rds:CreateDBInstance') && JSON.stringify(s.Resource).includes(':db:*'));
      assert.deepEqual(onInstances.map((s) => s.Condition), [{ Null: { 'aws:RequestTag/aurora-failback:run': 'false' } }]);
    }
  });

  it('has no "*" action, no managed policy, and "*" resources only where IAM allows nothing else', () => {
    for (const variant of variants) {
      for (const [id, role] of resourcesOfType(variant.sam, 'AWS::IAM::Role')) {
        assert.equal(role.Properties.ManagedPolicyArns, undefined, `${id} has a managed policy`);
        for (const statement of roleStatements(variant.sam, id)) {
          assert.equal(statement.Effect, 'Allow', `${id} (${variant.name})`);
          for (const action of asList(statement.Action)) {
            assert.ok(!action.includes('*'), `${id} allows ${action}`);
            if (asList(statement.Resource).includes('*')) {
              assert.ok(WILDCARD_RESOURCE_ACTIONS.has(action), `${id} allows ${action} on every resource`);
            }
          }
        }
      }
    }
    for (const fn of Object.values(SAM_FUNCTIONS)) {
      assert.equal(sam.Resources[fn].Properties.Policies, undefined, `${fn} uses its own role, not SAM policies`);
    }
  });

  it('substitutes exactly the placeholders of the state machine definition', () => {
    const machine = sam.Resources.FailbackStateMachine.Properties;
    assert.equal(path.resolve(path.dirname(SAM_TEMPLATE), machine.DefinitionUri), REAL_DEFINITION);
    assert.deepEqual(Object.keys(machine.DefinitionSubstitutions).sort(), placeholders(definitionPath()));
    for (const key of FUNCTION_KEYS) {
      assert.deepEqual(machine.DefinitionSubstitutions[DEFINITION_SUBSTITUTIONS[key]],
        { 'Fn::GetAtt': [SAM_FUNCTIONS[key], 'Arn'] }, key);
    }
    assert.equal(machine.Logging.Level, 'ALL');
    assert.deepEqual(machine.Tracing, { Enabled: true });
  });

  it('matches the construct\'s event rules and ledger table', () => {
    const cdkRule = (rule: { node: Json }) => cdk.json.Resources[logicalId(cdk.stack, rule)].Properties;
    assert.deepEqual(sam.Resources.FailoverEventRule.Properties.EventPattern,
      cdkRule(cdk.construct.failoverEventRule).EventPattern);
    assert.deepEqual(withoutIntrinsics(sam.Resources.ExecutionEndedRule.Properties.EventPattern),
      withoutIntrinsics(cdkRule(cdk.construct.executionEndedRule).EventPattern));
    for (const rule of ['FailoverEventRule', 'ExecutionEndedRule', 'RunFinishedNotifyRule']) {
      const [target] = sam.Resources[rule].Properties.Targets;
      assert.ok(target.RetryPolicy, `${rule} retries`);
      assert.deepEqual(target.DeadLetterConfig, { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } }, rule);
      assert.equal(target.Input, undefined, `${rule} passes the event as it is`);
    }
    const notify = raw.Resources.RunFinishedNotifyRule.Properties.EventPattern;
    assert.deepEqual(notify.detail, { 'Fn::If': ['NotifyEveryRun', { Ref: 'AWS::NoValue' }, { outcome: ['failed'] }] });
    const table = sam.Resources.LedgerTable.Properties;
    const cdkTable = cdk.json.Resources[logicalId(cdk.stack, cdk.construct.ledgerTable)].Properties;
    for (const property of ['KeySchema', 'BillingMode', 'TimeToLiveSpecification', 'PointInTimeRecoverySpecification']) {
      assert.deepEqual(table[property], cdkTable[property], property);
    }
    assert.equal(sam.Resources.DeadLetterQueue.Properties.KmsMasterKeyId.Ref, 'Key');
    assert.equal(sam.Resources.NotificationTopic.Properties.KmsMasterKeyId.Ref, 'Key');
  });

  it('names the parameters the README documents, with defaults', () => {
    assert.deepEqual(Object.keys(sam.Parameters).sort(),
      ['AllowUntaggedManualRuns', 'DryRunOnly', 'LogRetentionInDays', 'MaxEventAgeSeconds', 'NotificationEmail',
        'NotifyOnEveryRun', 'ReaderCheckBudget', 'WriterCheckBudget']);
    // The README's "Deploy" section documents every parameter.
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    const documented = readme.slice(readme.indexOf('## Deploy'));
    for (const [name, parameter] of Object.entries<Json>(sam.Parameters)) {
      assert.ok(parameter.Default !== undefined, `${name} has a default`);
      assert.ok(documented.includes(`\`${name}\``), `README's Deploy section documents ${name}`);
    }
    assert.deepEqual(Object.keys(sam.Outputs).sort(),
      ['DeadLetterQueueUrl', 'KeyArn', 'LedgerTableName', 'NotificationTopicArn', 'StateMachineArn', 'StateMachineName']);
  });
});
