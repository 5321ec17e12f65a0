// infra/template.yaml (SAM) and the AuroraFailback construct deploy the same thing:
// the same functions, roles, rules and table. These tests read the SAM template and
// compare it with the synthesised construct.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  BACKUP_COMPLETION_WINDOW_MINUTES,
  BACKUP_SCHEDULE_PATTERN,
  BACKUP_START_WINDOW_MINUTES,
  BACKUP_VAULT_ARN_PATTERN,
  BACKUP_WATCH_BINARY,
  DB_CLUSTER_ID_PATTERN,
  DB_INSTANCE_ID_PATTERN,
  DEFAULT_BACKUP_SCHEDULE,
  DEFAULT_DR_PARAMETER_PATH_PREFIX,
  DR_READINESS_BINARY,
  DR_READINESS_MINUTES,
  FAILBACK_STATE_MACHINE_SUBSTITUTION,
  GLOBAL_REPLICATION_GROUP_ID_PATTERN,
  SSM_PARAMETER_NAME_PATTERN,
  DEFINITION_SUBSTITUTIONS,
  DR_DEFINITION_SUBSTITUTIONS,
  DR_FUNCTIONS,
  DR_PARAMETER_PATH_PREFIX_PATTERN,
  FAILBACK_FUNCTIONS,
  FUNCTION_BINARIES,
  FunctionKey,
  GLOBAL_CLUSTER_ID_PATTERN,
} from '../lib';
import {
  BACKUP_SERVICE_POLICY_ARN,
  BACKUP_WATCH_SCHEDULE_PERMISSIONS,
  backupWatchPermissions,
  DR_CREATION_ACTIONS,
  DR_RESTORE_ACTIONS,
  DR_SNAPSHOT_READ_ACTIONS,
  drRestoreStatements,
  SNAPSHOT_READ_STATEMENTS,
  DR_ELASTICACHE_FAILOVER_ACTIONS,
  DR_ELASTICACHE_READ_ACTIONS,
  DR_LISTED_ACTIONS,
  DR_PROMOTE_CLUSTER_ACTIONS,
  drCheckPermissions,
  drListedStatements,
  READINESS_SCHEDULE_PERMISSIONS,
  readinessPermissions,
  READER_INSTANCE_ACTIONS,
  READER_INSTANCE_STATEMENTS,
  DR_NEW_INSTANCE_ACTIONS,
  DR_PROMOTE_ACTIONS,
  DR_REPLICA_ACTIONS,
  DR_SECONDARY_ACTIONS,
  DR_SWITCH_ACTIONS,
  drActPermissions,
  drCreationStatements,
  drValidatePermissions,
  expectedActions,
  WILDCARD_RESOURCE_ACTIONS,
} from './expected';
import {
  asList,
  definitionPath,
  functionRoleId,
  inlineStatementShapes,
  Json,
  loadSamTemplate,
  logicalId,
  normaliseIntrinsics,
  placeholders,
  REAL_DEFINITION,
  REAL_DR_DEFINITION,
  REPO_ROOT,
  resolveSamConditions,
  resourcesOfType,
  roleActions,
  rolePermissions,
  roleStatements,
  SAM_TEMPLATE,
  statementShapes,
  synth,
} from './support';

const SAM_FUNCTIONS: Record<FunctionKey, string> = {
  describeWriter: 'DescribeWriterFunction',
  createReader: 'CreateReaderFunction',
  checkStatus: 'CheckStatusFunction',
  failover: 'FailoverFunction',
  recordRun: 'RecordRunFunction',
  drValidate: 'DrValidateFunction',
  drCheck: 'DrCheckFunction',
  drAct: 'DrActFunction',
};

/** The SAM state machines and the construct's, with the functions each invokes. */
const MACHINES = [
  { sam: 'FailbackStateMachine', cdk: 'stateMachine', definition: REAL_DEFINITION, functions: FAILBACK_FUNCTIONS,
    substitutions: DEFINITION_SUBSTITUTIONS as Record<string, string> },
  { sam: 'DrStateMachine', cdk: 'drStateMachine', definition: REAL_DR_DEFINITION, functions: DR_FUNCTIONS,
    substitutions: DR_DEFINITION_SUBSTITUTIONS as Record<string, string> },
] as const;

/** The global databases and parameter path the DR variant deploys with. */
const DR_GLOBAL_CLUSTERS = ['orders-global', 'payments-global'];
const DR_PARAMETER_PATH_PREFIX = '/ops/dr-payloads/prod/';
/** The RDS instances the pilot-light variants may promote, and make read replicas of or as. */
const DR_INSTANCES = ['orders-replica', 'reporting-replica'];
/** The ElastiCache global datastores and Aurora replica clusters the DR variants may fail over and promote. */
const DR_GLOBAL_REPLICATION_GROUPS = ['ldgnf-sessions', 'ldgnf-carts'];
const DR_REPLICA_CLUSTERS = ['orders-replica-cluster', 'reporting-replica-cluster'];
/** The payload parameter the readiness variant checks. */
const READINESS_PAYLOAD = '/aurora-failback/dr/payload';
/** The clusters and instances the cold-standby variants may restore into. */
const DR_RESTORE_TARGETS = ['orders-restored', 'reporting-restored'];
/** The DR region's vault the cold-standby variants copy to, and its region. */
const COPY_VAULT_ARN = 'arn:aws:backup:eu-central-1:123456789012:backup-vault:aurora-failback-copies';
const COPY_REGION = 'eu-central-1';

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
  interface Variant {
    name: string;
    sam: Json;
    cdk: ReturnType<typeof synth>;
    allowUntagged: boolean;
    globalClusters: string[];
    instances: string[];
    parameterPathPrefix: string;
    replicationGroups?: string[];
    replicaClusters?: string[];
    restoreTargets?: string[];
  }
  const variants: Variant[] = [
    {
      name: 'defaults', sam, cdk,
      allowUntagged: false, globalClusters: [], instances: [], parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: 'AllowUntaggedManualRuns=true',
      sam: resolveSamConditions(raw, { AllowUntaggedManualRuns: 'true' }),
      cdk: synth({ allowUntaggedManualRuns: true }),
      allowUntagged: true, globalClusters: [], instances: [], parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: `DrGlobalClusters=${DR_GLOBAL_CLUSTERS.join(',')} DrParameterPathPrefix=${DR_PARAMETER_PATH_PREFIX}`,
      sam: resolveSamConditions(raw, {
        DrGlobalClusters: DR_GLOBAL_CLUSTERS.join(','), DrParameterPathPrefix: DR_PARAMETER_PATH_PREFIX,
      }),
      cdk: synth({ drGlobalClusters: DR_GLOBAL_CLUSTERS, drParameterPathPrefix: DR_PARAMETER_PATH_PREFIX }),
      allowUntagged: false, globalClusters: DR_GLOBAL_CLUSTERS, instances: [], parameterPathPrefix: DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: 'DrGlobalClusters=orders-global',
      sam: resolveSamConditions(raw, { DrGlobalClusters: 'orders-global' }),
      cdk: synth({ drGlobalClusters: ['orders-global'] }),
      allowUntagged: false, globalClusters: ['orders-global'], instances: [],
      parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: 'DrInstances=orders-replica',
      sam: resolveSamConditions(raw, { DrInstances: 'orders-replica' }),
      cdk: synth({ drInstances: ['orders-replica'] }),
      allowUntagged: false, globalClusters: [], instances: ['orders-replica'],
      parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: `DrInstances=${DR_INSTANCES.join(',')}`,
      sam: resolveSamConditions(raw, { DrInstances: DR_INSTANCES.join(',') }),
      cdk: synth({ drInstances: DR_INSTANCES }),
      allowUntagged: false, globalClusters: [], instances: DR_INSTANCES,
      parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: `DrGlobalClusters=orders-global DrInstances=${DR_INSTANCES.join(',')}`,
      sam: resolveSamConditions(raw, { DrGlobalClusters: 'orders-global', DrInstances: DR_INSTANCES.join(',') }),
      cdk: synth({ drGlobalClusters: ['orders-global'], drInstances: DR_INSTANCES }),
      allowUntagged: false, globalClusters: ['orders-global'], instances: DR_INSTANCES,
      parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
    },
    {
      name: 'DrGlobalReplicationGroups=ldgnf-sessions',
      sam: resolveSamConditions(raw, { DrGlobalReplicationGroups: 'ldgnf-sessions' }),
      cdk: synth({ drGlobalReplicationGroups: ['ldgnf-sessions'] }),
      allowUntagged: false, globalClusters: [], instances: [], parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
      replicationGroups: ['ldgnf-sessions'],
    },
    {
      name: `DrReplicaClusters=orders-replica-cluster DrGlobalClusters=orders-global`,
      sam: resolveSamConditions(raw, { DrReplicaClusters: 'orders-replica-cluster', DrGlobalClusters: 'orders-global' }),
      cdk: synth({ drReplicaClusters: ['orders-replica-cluster'], drGlobalClusters: ['orders-global'] }),
      allowUntagged: false, globalClusters: ['orders-global'], instances: [], parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
      replicaClusters: ['orders-replica-cluster'],
    },
    {
      name: `DrGlobalReplicationGroups=${DR_GLOBAL_REPLICATION_GROUPS.join(',')} DrReplicaClusters=${DR_REPLICA_CLUSTERS.join(',')} `
        + `DrInstances=orders-replica DrReadinessPayloadParameter=${READINESS_PAYLOAD}`,
      sam: resolveSamConditions(raw, {
        DrGlobalReplicationGroups: DR_GLOBAL_REPLICATION_GROUPS.join(','), DrReplicaClusters: DR_REPLICA_CLUSTERS.join(','),
        DrInstances: 'orders-replica', DrReadinessPayloadParameter: READINESS_PAYLOAD,
      }),
      cdk: synth({
        drGlobalReplicationGroups: DR_GLOBAL_REPLICATION_GROUPS, drReplicaClusters: DR_REPLICA_CLUSTERS,
        drInstances: ['orders-replica'], drReadinessPayloadParameter: READINESS_PAYLOAD,
      }),
      allowUntagged: false, globalClusters: [], instances: ['orders-replica'], parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
      replicationGroups: DR_GLOBAL_REPLICATION_GROUPS, replicaClusters: DR_REPLICA_CLUSTERS,
    },
    {
      name: `DrRestoreTargets=${DR_RESTORE_TARGETS.join(',')}`,
      sam: resolveSamConditions(raw, { DrRestoreTargets: DR_RESTORE_TARGETS.join(',') }),
      cdk: synth({ drRestoreTargets: DR_RESTORE_TARGETS }),
      allowUntagged: false, globalClusters: [], instances: [], parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX,
      restoreTargets: DR_RESTORE_TARGETS,
    },
    {
      name: `DrRestoreTargets=orders-restored DrGlobalClusters=orders-global DrInstances=orders-replica BackupCopyVaultArn=${COPY_VAULT_ARN}`,
      sam: resolveSamConditions(raw, {
        DrRestoreTargets: 'orders-restored', DrGlobalClusters: 'orders-global', DrInstances: 'orders-replica',
        BackupCopyVaultArn: COPY_VAULT_ARN,
      }),
      cdk: synth({
        drRestoreTargets: ['orders-restored'], drGlobalClusters: ['orders-global'], drInstances: ['orders-replica'],
        backupCopyVaultArn: COPY_VAULT_ARN,
      }),
      allowUntagged: false, globalClusters: ['orders-global'], instances: ['orders-replica'],
      parameterPathPrefix: DEFAULT_DR_PARAMETER_PATH_PREFIX, restoreTargets: ['orders-restored'],
    },
  ];
  const moreLists = (variant: Variant) => ({
    replicationGroups: (variant.replicationGroups ?? []).length > 0, replicaClusters: (variant.replicaClusters ?? []).length > 0,
    restoreTargets: (variant.restoreTargets ?? []).length > 0,
  });
  const variantFn = (variant: { cdk: ReturnType<typeof synth> }, key: FunctionKey) =>
    logicalId(variant.cdk.stack, variant.cdk.construct.functions[key]);

  it('builds each function from the workspace with rust-cargolambda for provided.al2023 on arm64', () => {
    assert.equal(sam.Transform, 'AWS::Serverless-2016-10-31');
    assert.equal(globals.Runtime, 'provided.al2023');
    // The Architecture parameter, arm64 unless a deployment says x86_64; the construct's default too.
    assert.deepEqual(globals.Architectures, [{ Ref: 'Architecture' }]);
    assert.equal(sam.Parameters.Architecture.Default, 'arm64');
    assert.deepEqual(sam.Parameters.Architecture.AllowedValues, ['arm64', 'x86_64']);
    for (const fn of Object.values(cdk.construct.functions)) {
      assert.deepEqual(cdk.json.Resources[logicalId(cdk.stack, fn)].Properties.Architectures, ['arm64']);
    }
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
      DR_PARAMETER_PATH_PREFIX: 'DrParameterPathPrefix',
    };
    const users: Record<string, FunctionKey[]> = {
      DRY_RUN_ONLY: ['describeWriter'],
      MAX_EVENT_AGE_SECONDS: ['describeWriter', 'recordRun'],
      ALLOW_UNTAGGED_MANUAL_RUNS: ['describeWriter', 'createReader', 'failover'],
      DR_PARAMETER_PATH_PREFIX: ['drValidate'],
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
        assert.deepEqual(roleActions(variant.sam, roleId),
          expectedActions(key, variant.globalClusters.length > 0, variant.instances.length > 0, moreLists(variant)), label);
        assert.deepEqual(roleActions(variant.sam, roleId),
          roleActions(variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, key))), label);
      }
    }
    for (const machine of MACHINES) {
      const machineRole = sam.Resources[machine.sam].Properties.Role['Fn::GetAtt'][0];
      assert.deepEqual(roleActions(sam, machineRole), expectedActions(machine.cdk, false), machine.sam);
    }
    const startRole = sam.Resources.FailoverEventRule.Properties.Targets[0].RoleArn['Fn::GetAtt'][0];
    assert.deepEqual(roleActions(sam, startRole), expectedActions('startRuns', false));
    assert.equal(resourcesOfType(sam, 'AWS::IAM::Role').length, 11);
  });

  it('gives each state machine role the same permissions as the construct: its own functions, its own event', () => {
    for (const variant of variants) {
      for (const machine of MACHINES) {
        const samRole = variant.sam.Resources[machine.sam].Properties.Role['Fn::GetAtt'][0];
        const cdkRole = logicalId(variant.cdk.stack, variant.cdk.construct.roles[machine.cdk]);
        assert.deepEqual(rolePermissions(variant.sam, samRole), rolePermissions(variant.cdk.json, cdkRole),
          `${machine.sam} (${variant.name})`);
        const invoke = roleStatements(variant.sam, samRole).filter((s) => asList(s.Action).includes('lambda:InvokeFunction'));
        assert.deepEqual(invoke.flatMap((s) => asList(s.Resource)),
          machine.functions.map((key) => ({ 'Fn::GetAtt': [SAM_FUNCTIONS[key], 'Arn'] })), machine.sam);
        // The capacity hand-off: the DR machine starts this stack's failback machine, and nothing else.
        const starts = roleStatements(variant.sam, samRole).filter((s) => asList(s.Action).includes('states:StartExecution'));
        assert.deepEqual(starts.map((s) => [s.Sid, asList(s.Action), asList(s.Resource), s.Condition]),
          machine.sam === 'DrStateMachine'
            ? [['StartFailbackStateMachineOnly', ['states:StartExecution'], [{ Ref: 'FailbackStateMachine' }], undefined]]
            : [], `${machine.sam} (${variant.name})`);
      }
    }
    const detailType = (machine: string) => roleStatements(sam, sam.Resources[machine].Properties.Role['Fn::GetAtt'][0])
      .find((s) => asList(s.Action).includes('events:PutEvents'))?.Condition;
    assert.deepEqual(detailType('FailbackStateMachine'),
      { StringEquals: { 'events:source': 'aurora-failback', 'events:detail-type': 'Aurora Failback Run Finished' } });
    assert.deepEqual(detailType('DrStateMachine'),
      { StringEquals: { 'events:source': 'aurora-failback', 'events:detail-type': 'Aurora Failback DR Run Finished' } });
  });

  it('scopes the DR roles exactly: SSM under the prefix, global databases from DrGlobalClusters, instances from DrInstances only', () => {
    for (const variant of variants) {
      const samRole = (key: FunctionKey) => functionRoleId(variant.sam, SAM_FUNCTIONS[key]);
      assert.deepEqual(rolePermissions(variant.sam, samRole('drValidate')),
        drValidatePermissions(variant.parameterPathPrefix), `dr-validate (${variant.name})`);
      // dr-validate is told the path its role may read: the parameter in SAM, the prop's value in the construct.
      assert.deepEqual(variant.sam.Resources[SAM_FUNCTIONS.drValidate].Properties.Environment.Variables,
        { DR_PARAMETER_PATH_PREFIX: { Ref: 'DrParameterPathPrefix' } }, `dr-validate environment (${variant.name})`);
      assert.deepEqual(variant.cdk.json.Resources[variantFn(variant, 'drValidate')].Properties.Environment.Variables,
        { DR_PARAMETER_PATH_PREFIX: variant.parameterPathPrefix }, `dr-validate environment (${variant.name})`);
      const groups = variant.replicationGroups ?? [];
      const clusters = variant.replicaClusters ?? [];
      const restoreTargets = variant.restoreTargets ?? [];
      assert.deepEqual(rolePermissions(variant.sam, samRole('drCheck')), drCheckPermissions(groups.length > 0, restoreTargets.length > 0),
        `dr-check (${variant.name})`);
      assert.deepEqual(rolePermissions(variant.sam, samRole('drAct')),
        drActPermissions(variant.globalClusters, variant.instances, groups, clusters, restoreTargets), `dr-act (${variant.name})`);
      // The restores: the snapshot reads and the restore statements, exactly, in the same order,
      // last among dr-act's statements, in both templates; none at all without DrRestoreTargets.
      // dr-check reads the same snapshots, last among its statements.
      for (const [template, which] of [[variant.sam, 'SAM'], [variant.cdk.json, 'CDK']] as const) {
        const restoring = restoreTargets.length === 0 ? [] : [...SNAPSHOT_READ_STATEMENTS, ...drRestoreStatements(restoreTargets)];
        const act = inlineStatementShapes(template, functionRoleId(template, which === 'SAM' ? SAM_FUNCTIONS.drAct : variantFn(variant, 'drAct')));
        assert.deepEqual(act.slice(act.length - restoring.length), restoring, `restores last, ${which} (${variant.name})`);
        // ... and nowhere before them (CreateDBInstance aside: a secondary's first instance uses it too).
        const restoreOnly = [...DR_RESTORE_ACTIONS, ...DR_SNAPSHOT_READ_ACTIONS].filter((a) => a !== 'rds:CreateDBInstance');
        assert.deepEqual(act.slice(0, act.length - restoring.length).filter((shape: Json) =>
          shape.Action.some((a: string) => restoreOnly.includes(a))), [], `restores only last, ${which} (${variant.name})`);
        const check = inlineStatementShapes(template, functionRoleId(template, which === 'SAM' ? SAM_FUNCTIONS.drCheck : variantFn(variant, 'drCheck')));
        assert.deepEqual(check.filter((shape: Json) => shape.Action.some((a: string) => DR_SNAPSHOT_READ_ACTIONS.includes(a))),
          restoreTargets.length === 0 ? [] : SNAPSHOT_READ_STATEMENTS, `dr-check snapshot reads, ${which} (${variant.name})`);
      }
      // The global datastores and the replica clusters: the same statements in both templates,
      // exactly, in the same order (the read and the failover with DrGlobalReplicationGroups,
      // the promotion with DrReplicaClusters); none at all with neither.
      for (const [template, roleId, which] of [
        [variant.sam, samRole('drAct'), 'SAM'],
        [variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, 'drAct')), 'CDK'],
      ] as const) {
        assert.deepEqual(statementShapes(template, roleId, DR_LISTED_ACTIONS), drListedStatements(groups, clusters),
          `global datastores and replica clusters, ${which} (${variant.name})`);
      }
      // The promotion: one statement, PromoteReadReplica alone, on exactly the instances
      // listed, in the stack's region; none at all when DrInstances is empty.
      for (const [template, roleId] of [
        [variant.sam, samRole('drAct')],
        [variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, 'drAct'))],
      ] as const) {
        const promotes = roleStatements(template, roleId).filter((s) => asList(s.Action).includes('rds:PromoteReadReplica'));
        if (variant.instances.length === 0) {
          assert.equal(promotes.length, 0, `no promotion (${variant.name})`);
          continue;
        }
        assert.equal(promotes.length, 1, `promotion (${variant.name})`);
        assert.deepEqual(asList(promotes[0].Action), DR_PROMOTE_ACTIONS, variant.name);
        assert.deepEqual(asList(promotes[0].Resource), variant.instances.map((id) => `arn:*:rds:*:*:db:${id}`), variant.name);
        assert.deepEqual(promotes[0].Condition, { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } }, variant.name);
      }
      // Creating a secondary (CreateAuroraSecondaryDBCluster) or a read replica
      // (CreateRDSReadReplica): the same statements in both templates, exactly (Sid,
      // actions, resources, condition), in the same order: the secondary's three with
      // DrGlobalClusters, the replica's two with DrInstances (the listed instances without
      // a region condition: the source is authorised in its own region), and the key and
      // monitoring-role statements once with either list; none at all with neither.
      for (const [template, roleId, which] of [
        [variant.sam, samRole('drAct'), 'SAM'],
        [variant.cdk.json, functionRoleId(variant.cdk.json, variantFn(variant, 'drAct')), 'CDK'],
      ] as const) {
        assert.deepEqual(statementShapes(template, roleId, DR_CREATION_ACTIONS),
          drCreationStatements(variant.globalClusters, variant.instances, variant.restoreTargets ?? []), `creation, ${which} (${variant.name})`);
      }
    }
    // Empty DrGlobalClusters: the switching and secondary-creating statements are left
    // out, by one condition; empty DrInstances: the promoting and replica-creating
    // statements, by another; both empty: the key and monitoring-role statements, by a
    // third that holds when either list is set.
    assert.deepEqual(raw.Conditions.HasDrGlobalClusters,
      { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'DrGlobalClusters' }] }, ''] }] });
    assert.deepEqual(raw.Conditions.HasDrInstances,
      { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'DrInstances' }] }, ''] }] });
    assert.deepEqual(raw.Conditions.HasDrRestoreTargets,
      { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'DrRestoreTargets' }] }, ''] }] });
    assert.deepEqual(raw.Conditions.HasDrNewDatabases,
      { 'Fn::Or': [{ Condition: 'HasDrGlobalClusters' }, { Condition: 'HasDrInstances' }, { Condition: 'HasDrRestoreTargets' }] });
    assert.deepEqual(raw.Conditions.HasDrGlobalReplicationGroups,
      { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'DrGlobalReplicationGroups' }] }, ''] }] });
    assert.deepEqual(raw.Conditions.HasDrReplicaClusters,
      { 'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::Join': ['', { Ref: 'DrReplicaClusters' }] }, ''] }] });
    const actStatements = raw.Resources.DrActRole.Properties.Policies[0].PolicyDocument.Statement;
    const conditional = actStatements.filter((s: Json) => 'Fn::If' in s);
    assert.deepEqual(conditional.map((s: Json) => s['Fn::If'][0]),
      [...Array(5).fill('HasDrGlobalClusters'), ...Array(3).fill('HasDrInstances'),
        ...Array(2).fill('HasDrNewDatabases'), ...Array(2).fill('HasDrGlobalReplicationGroups'),
        'HasDrReplicaClusters', ...Array(12).fill('HasDrRestoreTargets')]);
    const actionsUnder: Record<string, string[]> = {};
    for (const statement of conditional) {
      const [condition, whenTrue, whenFalse] = statement['Fn::If'];
      (actionsUnder[condition] ??= []).push(...asList<string>(whenTrue.Action));
      assert.deepEqual(whenFalse, { Ref: 'AWS::NoValue' });
    }
    assert.deepEqual(actionsUnder.HasDrGlobalClusters,
      [...DR_SWITCH_ACTIONS, ...DR_SWITCH_ACTIONS, 'rds:CreateDBCluster', 'rds:CreateDBCluster', 'rds:CreateDBInstance']);
    assert.deepEqual(actionsUnder.HasDrInstances, [...DR_PROMOTE_ACTIONS, ...DR_REPLICA_ACTIONS, ...DR_REPLICA_ACTIONS]);
    assert.deepEqual(actionsUnder.HasDrNewDatabases, DR_NEW_INSTANCE_ACTIONS);
    assert.deepEqual([...new Set(actionsUnder.HasDrRestoreTargets)].sort(), [...DR_SNAPSHOT_READ_ACTIONS, ...DR_RESTORE_ACTIONS].sort());
    assert.deepEqual(actionsUnder.HasDrGlobalReplicationGroups, [...DR_ELASTICACHE_READ_ACTIONS, ...DR_ELASTICACHE_FAILOVER_ACTIONS]);
    assert.deepEqual(actionsUnder.HasDrReplicaClusters, DR_PROMOTE_CLUSTER_ACTIONS);
    // dr-check's only conditional statements: the ElastiCache read, and the snapshot reads.
    const checkConditional = raw.Resources.DrCheckRole.Properties.Policies[0].PolicyDocument.Statement
      .filter((s: Json) => 'Fn::If' in s);
    assert.deepEqual(checkConditional.map((s: Json) => [s['Fn::If'][0], s['Fn::If'][1].Action, s['Fn::If'][2]]),
      [['HasDrGlobalReplicationGroups', DR_ELASTICACHE_READ_ACTIONS[0], { Ref: 'AWS::NoValue' }],
        ...DR_SNAPSHOT_READ_ACTIONS.map((action) => ['HasDrRestoreTargets', action, { Ref: 'AWS::NoValue' }])]);
    const underInstances = conditional.filter((s: Json) => s['Fn::If'][0] === 'HasDrInstances').map((s: Json) => s['Fn::If'][1]);
    assert.deepEqual(underInstances[0].Condition, { StringEquals: { 'aws:RequestedRegion': { Ref: 'AWS::Region' } } });
    // The read replica's listed instances carry no region condition (the source is
    // authorised in its own region); its groups are this region's by their ARNs.
    assert.equal(underInstances[1].Condition, undefined);
    assert.equal(underInstances[2].Condition, undefined);
    const unconditional = actStatements.filter((s: Json) => !('Fn::If' in s)).flatMap((s: Json) => asList(s.Action));
    for (const action of [...DR_SWITCH_ACTIONS, ...DR_SECONDARY_ACTIONS, ...DR_PROMOTE_ACTIONS, ...DR_REPLICA_ACTIONS,
      ...DR_NEW_INSTANCE_ACTIONS, ...DR_LISTED_ACTIONS, ...DR_RESTORE_ACTIONS, ...DR_SNAPSHOT_READ_ACTIONS]) {
      assert.ok(!unconditional.includes(action), `${action} only under its condition`);
    }
    // The key and monitoring-role statements: exactly with one list or both, once.
    for (const variant of variants) {
      const shapes = statementShapes(variant.sam, functionRoleId(variant.sam, SAM_FUNCTIONS.drAct), DR_NEW_INSTANCE_ACTIONS);
      const either = variant.globalClusters.length > 0 || variant.instances.length > 0 || (variant.restoreTargets ?? []).length > 0;
      assert.deepEqual(shapes.map((s: Json) => s.Sid),
        either ? ['UseNewInstanceKeysThroughRdsOnly', 'PassNewInstanceMonitoringRoleOnly'] : [], variant.name);
    }
    // No other role may promote, create a cluster or a read replica, whatever the parameters.
    for (const variant of variants) {
      for (const key of FUNCTION_KEYS.filter((k) => k !== 'drAct')) {
        const actions = roleActions(variant.sam, functionRoleId(variant.sam, SAM_FUNCTIONS[key]));
        for (const action of ['rds:PromoteReadReplica', 'rds:CreateDBCluster', 'rds:CreateDBInstanceReadReplica',
          ...DR_ELASTICACHE_FAILOVER_ACTIONS, ...DR_PROMOTE_CLUSTER_ACTIONS,
          ...DR_RESTORE_ACTIONS.filter((a) => !(key === 'createReader' && ['rds:CreateDBInstance', 'rds:AddTagsToResource'].includes(a)))]) {
          assert.ok(!actions.includes(action), `${key} ${action} (${variant.name})`);
        }
      }
    }
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
      const allowUntagged = variant.allowUntagged;
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

  it('lets CreateReaderRole alone resize any instance here and delete only run-tagged ones, whatever the parameters', () => {
    for (const variant of variants) {
      const readerRole = functionRoleId(variant.sam, SAM_FUNCTIONS.createReader);
      // No !If: the same two statements with AllowUntaggedManualRuns true or false.
      assert.deepEqual(statementShapes(variant.sam, readerRole, READER_INSTANCE_ACTIONS), READER_INSTANCE_STATEMENTS, variant.name);
      for (const [id] of resourcesOfType(variant.sam, 'AWS::IAM::Role')) {
        if (id !== readerRole) {
          const actions = roleActions(variant.sam, id);
          assert.deepEqual(READER_INSTANCE_ACTIONS.filter((a) => actions.includes(a)), [], `${id} (${variant.name})`);
        }
      }
      // Capacity fallback: CreateDBInstance may go to any zone with any class; its only
      // conditions are the opt-in tag (unless AllowUntaggedManualRuns) and the run tag.
      const creates = statementShapes(variant.sam, readerRole, ['rds:CreateDBInstance']);
      assert.deepEqual(creates.map((c) => c.Condition), [
        variant.allowUntagged ? undefined : { StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:enabled': 'true' } },
        { Null: { 'aws:RequestTag/aurora-failback:run': 'false' } },
        undefined,
      ], variant.name);
    }
    // Every Task of the failback machine (CleanUpReader included, which invokes
    // create-reader as CreateReader does) calls a function the machine's role may invoke.
    const invokable = roleStatements(sam, 'StateMachineRole')
      .filter((s) => asList(s.Action).includes('lambda:InvokeFunction'))
      .flatMap((s) => asList(s.Resource).map((r) => JSON.stringify(r)));
    const substitutions = sam.Resources.FailbackStateMachine.Properties.DefinitionSubstitutions;
    const tasks: Json[] = [];
    const walk = (node: Json): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
      } else if (node && typeof node === 'object') {
        if (node.Type === 'Task') {
          tasks.push(node);
        }
        Object.values(node).forEach(walk);
      }
    };
    walk(JSON.parse(fs.readFileSync(definitionPath(), 'utf8')));
    // A function Task names its function as its Resource or, through lambda:invoke, as its
    // FunctionName; the other Tasks are service integrations (the events one).
    const functionOf = (task: Json): string | undefined => (task.Resource === 'arn:aws:states:::lambda:invoke'
      ? task.Parameters?.FunctionName
      : String(task.Resource).startsWith('arn:aws:states:::') ? undefined : task.Resource);
    const functionTasks = tasks.filter((task) => functionOf(task) !== undefined);
    assert.ok(functionTasks.length > 0);
    for (const task of functionTasks) {
      const placeholder = /^\$\{([A-Za-z0-9_]+)\}$/.exec(functionOf(task)!)?.[1];
      assert.ok(placeholder !== undefined, functionOf(task));
      assert.ok(invokable.includes(JSON.stringify(substitutions[placeholder])), `${functionOf(task)} is not invokable`);
    }
  });

  it('has no "*" action, no managed policy, and "*" resources only where IAM allows nothing else', () => {
    for (const variant of variants) {
      for (const [id, role] of resourcesOfType(variant.sam, 'AWS::IAM::Role')) {
        // The one managed policy: AWS Backup's role holds the AWS managed policy for backups.
        assert.deepEqual(normaliseIntrinsics(role.Properties.ManagedPolicyArns),
          id === 'BackupRole' ? [BACKUP_SERVICE_POLICY_ARN] : undefined, `${id} has a managed policy`);
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

  it('substitutes exactly the placeholders of each state machine definition', () => {
    assert.equal(resourcesOfType(sam, 'AWS::Serverless::StateMachine').length, 2);
    for (const spec of MACHINES) {
      const machine = sam.Resources[spec.sam].Properties;
      const definition = spec.sam === 'FailbackStateMachine' ? definitionPath() : spec.definition;
      assert.equal(path.resolve(path.dirname(SAM_TEMPLATE), machine.DefinitionUri), spec.definition, spec.sam);
      assert.deepEqual(Object.keys(machine.DefinitionSubstitutions).sort(), placeholders(definition), spec.sam);
      for (const key of spec.functions) {
        assert.deepEqual(machine.DefinitionSubstitutions[spec.substitutions[key]],
          { 'Fn::GetAtt': [SAM_FUNCTIONS[key], 'Arn'] }, `${spec.sam} ${key}`);
      }
      const cdkMachine = cdk.json.Resources[logicalId(cdk.stack, cdk.construct[spec.cdk])].Properties;
      assert.deepEqual(Object.keys(machine.DefinitionSubstitutions).sort(),
        Object.keys(cdkMachine.DefinitionSubstitutions).sort(), spec.sam);
      assert.equal(machine.Type, 'STANDARD', spec.sam);
      assert.equal(machine.Logging.Level, 'ALL', spec.sam);
      assert.equal(machine.Logging.IncludeExecutionData, true, spec.sam);
      assert.deepEqual(machine.Tracing, { Enabled: true }, spec.sam);
    }
    // The budgets are the parameters, as strings; the construct's defaults are theirs.
    const budgets: Array<[string, string, string]> = [
      ['FailbackStateMachine', 'ReaderCheckBudget', 'stateMachine'],
      ['FailbackStateMachine', 'WriterCheckBudget', 'stateMachine'],
      ['FailbackStateMachine', 'NewReaderWaitSeconds', 'stateMachine'],
      ['DrStateMachine', 'ResourceCheckBudget', 'drStateMachine'],
    ];
    for (const [machine, budget, cdkMachine] of budgets) {
      assert.deepEqual(sam.Resources[machine].Properties.DefinitionSubstitutions[budget], { Ref: budget });
      const construct = cdk.construct[cdkMachine as 'stateMachine' | 'drStateMachine'];
      assert.equal(cdk.json.Resources[logicalId(cdk.stack, construct)].Properties.DefinitionSubstitutions[budget],
        String(sam.Parameters[budget].Default), budget);
    }
    // The capacity hand-off: the DR machine is given the failback machine's ARN (its Ref), in both.
    assert.deepEqual(sam.Resources.DrStateMachine.Properties.DefinitionSubstitutions[FAILBACK_STATE_MACHINE_SUBSTITUTION],
      { Ref: 'FailbackStateMachine' });
    assert.deepEqual(cdk.json.Resources[logicalId(cdk.stack, cdk.construct.drStateMachine)].Properties
      .DefinitionSubstitutions[FAILBACK_STATE_MACHINE_SUBSTITUTION], { Ref: logicalId(cdk.stack, cdk.construct.stateMachine) });
    const dr = sam.Parameters.ResourceCheckBudget;
    assert.deepEqual([dr.Type, dr.Default, dr.MinValue, dr.MaxValue], ['Number', 120, 1, 600]);
    // The construct takes the same bounds.
    synth({ resourceCheckBudget: dr.MaxValue });
    for (const outside of [dr.MinValue - 1, dr.MaxValue + 1]) {
      assert.throws(() => synth({ resourceCheckBudget: outside }), /resourceCheckBudget must be a whole number from 1 to 600/,
        String(outside));
    }
    // Each machine logs to its own log group, which the stack key may encrypt.
    const keyStatement = sam.Resources.Key.Properties.KeyPolicy.Statement
      .find((s: Json) => s.Sid === 'CloudWatchLogsEncryptsThisStacksLogGroups');
    const encryptable = keyStatement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'].map((a: Json) => a['Fn::Sub']);
    for (const [machine, name] of [['FailbackStateMachine', '${AWS::StackName}'], ['DrStateMachine', '${AWS::StackName}-dr']]) {
      const logGroupId = sam.Resources[machine].Properties.Logging.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      assert.deepEqual(sam.Resources[logGroupId].Properties.LogGroupName, { 'Fn::Sub': `/aws/vendedlogs/states/${name}` });
      assert.ok(encryptable.includes(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/vendedlogs/states/${name}`),
        `the key encrypts ${name}'s log group`);
    }
  });

  it('takes the DR parameters with the construct\'s defaults and rules', () => {
    const clusters = sam.Parameters.DrGlobalClusters;
    assert.deepEqual([clusters.Type, clusters.Default], ['CommaDelimitedList', '']);
    assert.equal(clusters.AllowedPattern, `^$|${GLOBAL_CLUSTER_ID_PATTERN.source}`);
    const prefix = sam.Parameters.DrParameterPathPrefix;
    assert.deepEqual([prefix.Type, prefix.Default], ['String', DEFAULT_DR_PARAMETER_PATH_PREFIX]);
    assert.equal(prefix.AllowedPattern, DR_PARAMETER_PATH_PREFIX_PATTERN.source.replace(/\\\//g, '/'));
    const pattern = new RegExp(prefix.AllowedPattern);
    for (const good of ['/aurora-failback/dr/', '/a/', '/ops/dr-payloads/prod/', '/x_y.z/']) {
      assert.ok(pattern.test(good), good);
    }
    for (const bad of ['', '/', 'aurora-failback/dr/', '/aurora-failback/dr', '/a//b/', '/a b/']) {
      assert.ok(!pattern.test(bad), bad);
    }
    const ids = new RegExp(clusters.AllowedPattern);
    for (const good of ['', 'orders-global', 'a', 'A1-b2']) {
      assert.ok(ids.test(good), good);
    }
    for (const bad of ['1orders', 'orders-', 'orders--global', 'orders global', 'arn:aws:rds::1:global-cluster:x']) {
      assert.ok(!ids.test(bad), bad);
    }
    // DrInstances: a list of DB instance identifiers, empty by default, each checked with
    // the same pattern as DrGlobalClusters; the construct refuses what the pattern refuses.
    const instances = sam.Parameters.DrInstances;
    assert.deepEqual([instances.Type, instances.Default], ['CommaDelimitedList', '']);
    assert.equal(instances.AllowedPattern, `^$|${DB_INSTANCE_ID_PATTERN.source}`);
    assert.equal(instances.AllowedPattern, clusters.AllowedPattern);
    const instanceIds = new RegExp(instances.AllowedPattern);
    for (const good of ['', 'orders-replica', 'a', 'A1-b2']) {
      assert.ok(instanceIds.test(good), good);
      if (good !== '') {
        synth({ drInstances: [good] });
      }
    }
    for (const bad of ['1orders', 'orders-', 'orders--replica', 'orders replica', 'orders_replica',
      'arn:aws:rds:eu-west-1:123456789012:db:orders']) {
      assert.ok(!instanceIds.test(bad), bad);
      assert.throws(() => synth({ drInstances: [bad] }), /is not a DB instance identifier/, bad);
    }
    const drGroup = sam.Metadata['AWS::CloudFormation::Interface'].ParameterGroups
      .find((group: Json) => group.Label.default === 'Cross-region DR');
    assert.ok(drGroup.Parameters.includes('DrInstances'), 'DrInstances sits in the Cross-region DR group');
    // DrGlobalReplicationGroups and DrReplicaClusters: lists of identifiers, empty by default,
    // each checked with the same rules; the construct refuses what the patterns refuse.
    for (const [name, pattern, prop, refusal] of [
      ['DrGlobalReplicationGroups', GLOBAL_REPLICATION_GROUP_ID_PATTERN, 'drGlobalReplicationGroups', /is not an ElastiCache global datastore identifier/],
      ['DrReplicaClusters', DB_CLUSTER_ID_PATTERN, 'drReplicaClusters', /is not a DB cluster identifier/],
    ] as const) {
      const parameter = sam.Parameters[name];
      assert.deepEqual([parameter.Type, parameter.Default], ['CommaDelimitedList', ''], name);
      assert.equal(parameter.AllowedPattern, `^$|${pattern.source}`, name);
      assert.ok(drGroup.Parameters.includes(name), `${name} sits in the Cross-region DR group`);
      const ids = new RegExp(parameter.AllowedPattern);
      for (const good of ['', 'ldgnf-sessions', 'orders-replica-cluster', 'a', 'A1-b2']) {
        assert.ok(ids.test(good), `${name} ${good}`);
        if (good !== '') {
          synth({ [prop]: [good] });
        }
      }
      for (const bad of ['1orders', 'orders-', 'orders--x', 'orders x', 'orders_x', 'arn:aws:rds:eu-west-1:123456789012:cluster:x']) {
        assert.ok(!ids.test(bad), `${name} ${bad}`);
        assert.throws(() => synth({ [prop]: [bad] }), refusal, `${name} ${bad}`);
      }
    }
  });

  it('deploys the readiness function, schedule and alarm only with DrReadinessPayloadParameter, as the construct', () => {
    const readinessIds = ['DrReadinessLogGroup', 'DrReadinessRole', 'DrReadinessFunction', 'DrReadinessScheduleRole',
      'DrReadinessSchedule', 'DrReadinessAlarm'];
    for (const id of readinessIds) {
      assert.equal(raw.Resources[id].Condition, 'HasDrReadiness', id);
      assert.equal(sam.Resources[id], undefined, `no ${id} by default`);
    }
    assert.deepEqual(raw.Conditions.HasDrReadiness, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DrReadinessPayloadParameter' }, ''] }] });
    assert.deepEqual(Object.keys(raw.Resources).filter((id) => raw.Resources[id].Condition === 'HasDrReadiness').sort(),
      [...readinessIds].sort());
    assert.deepEqual(raw.Outputs.DrReadinessFunctionName,
      { Condition: 'HasDrReadiness', Description: raw.Outputs.DrReadinessFunctionName.Description, Value: { Ref: 'DrReadinessFunction' } });
    assert.equal(cdk.construct.readinessFunction, undefined);
    assert.equal(resourcesOfType(cdk.json, 'AWS::Scheduler::Schedule').length, 0);

    const on = resolveSamConditions(raw, { DrReadinessPayloadParameter: READINESS_PAYLOAD });
    const cdkOn = synth({ drReadinessPayloadParameter: READINESS_PAYLOAD });
    const cdkId = (c: { node: Json }) => logicalId(cdkOn.stack, c);
    // The function, declared as the other functions: built from the workspace's crate.
    const fn = on.Resources.DrReadinessFunction;
    const cdkFnProps = cdkOn.json.Resources[cdkId(cdkOn.construct.readinessFunction!)].Properties;
    assert.equal(fn.Type, 'AWS::Serverless::Function');
    assert.equal(fn.Metadata.BuildMethod, 'rust-cargolambda');
    assert.equal(fn.Metadata.BuildProperties.Binary, DR_READINESS_BINARY);
    assert.equal(DR_READINESS_BINARY, 'dr-readiness');
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'crates', DR_READINESS_BINARY, 'Cargo.toml')), `crates/${DR_READINESS_BINARY} exists`);
    assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON');
    assert.deepEqual(fn.Properties.LoggingConfig.LogGroup, { Ref: 'DrReadinessLogGroup' });
    assert.deepEqual(on.Resources.DrReadinessLogGroup.Properties.LogGroupName, { 'Fn::Sub': '/aws/lambda/${AWS::StackName}/dr-readiness' });
    assert.equal(fn.Properties.Timeout ?? sam.Globals.Function.Timeout, cdkFnProps.Timeout);
    assert.deepEqual(fn.Properties.Environment.Variables, {
      DR_PARAMETER_PATH_PREFIX: { Ref: 'DrParameterPathPrefix' }, DR_READINESS_MAX_LAG_SECONDS: { Ref: 'DrReadinessMaxLagSeconds' },
    });
    assert.deepEqual(cdkFnProps.Environment.Variables, {
      DR_PARAMETER_PATH_PREFIX: String(sam.Parameters.DrParameterPathPrefix.Default),
      DR_READINESS_MAX_LAG_SECONDS: String(sam.Parameters.DrReadinessMaxLagSeconds.Default),
    });
    // A failed check is not run again late, in both.
    assert.deepEqual(fn.Properties.EventInvokeConfig, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    const [[, invokeConfig]] = resourcesOfType(cdkOn.json, 'AWS::Lambda::EventInvokeConfig');
    assert.deepEqual([invokeConfig.Properties.MaximumRetryAttempts, invokeConfig.Properties.MaximumEventAgeInSeconds], [0, 300]);
    // Its role: reads only, the same permissions in both.
    const samRole = functionRoleId(on, 'DrReadinessFunction');
    assert.equal(samRole, 'DrReadinessRole');
    assert.deepEqual(rolePermissions(on, samRole), readinessPermissions(READINESS_PAYLOAD, DEFAULT_DR_PARAMETER_PATH_PREFIX));
    assert.deepEqual(rolePermissions(on, samRole), rolePermissions(cdkOn.json, cdkId(cdkOn.construct.roles.drReadiness!)));
    // The schedule and its role, the same in both.
    const schedule = on.Resources.DrReadinessSchedule.Properties;
    const cdkSchedule = cdkOn.json.Resources[cdkOn.stack.getLogicalId(cdkOn.construct.readinessSchedule!)].Properties;
    assert.equal(normaliseIntrinsics(schedule.ScheduleExpression), 'rate(15 minutes)');
    assert.equal(normaliseIntrinsics(schedule.ScheduleExpression), cdkSchedule.ScheduleExpression);
    assert.deepEqual(JSON.parse(normaliseIntrinsics(schedule.Target.Input)), { payloadParameter: READINESS_PAYLOAD });
    assert.equal(normaliseIntrinsics(schedule.Target.Input), cdkSchedule.Target.Input);
    for (const property of ['FlexibleTimeWindow', 'State']) {
      assert.deepEqual(schedule[property], cdkSchedule[property], property);
    }
    assert.deepEqual(schedule.Target.RetryPolicy, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    assert.deepEqual(schedule.Target.RetryPolicy, cdkSchedule.Target.RetryPolicy);
    assert.deepEqual(schedule.Target.Arn, { 'Fn::GetAtt': ['DrReadinessFunction', 'Arn'] });
    assert.deepEqual(schedule.Target.RoleArn, { 'Fn::GetAtt': ['DrReadinessScheduleRole', 'Arn'] });
    assert.deepEqual(rolePermissions(on, 'DrReadinessScheduleRole'), READINESS_SCHEDULE_PERMISSIONS);
    assert.deepEqual(roleStatements(on, 'DrReadinessScheduleRole')[0].Resource, { 'Fn::GetAtt': ['DrReadinessFunction', 'Arn'] });
    const cdkScheduleRole = cdkOn.json.Resources[cdkId(cdkOn.construct.roles.drReadinessSchedule!)];
    assert.deepEqual(rolePermissions(on, 'DrReadinessScheduleRole'),
      rolePermissions(cdkOn.json, cdkId(cdkOn.construct.roles.drReadinessSchedule!)));
    assert.deepEqual(normaliseIntrinsics(on.Resources.DrReadinessScheduleRole.Properties.AssumeRolePolicyDocument.Statement),
      normaliseIntrinsics(cdkScheduleRole.Properties.AssumeRolePolicyDocument.Statement));
    // The alarm: the same metric, statistic, threshold and missing-data rule; its period is the
    // schedule's, through the ReadinessMinutes mapping, for every allowed value.
    const alarm = on.Resources.DrReadinessAlarm.Properties;
    const cdkAlarm = cdkOn.json.Resources[cdkId(cdkOn.construct.readinessAlarm!)].Properties;
    for (const property of ['Namespace', 'MetricName', 'Statistic', 'Threshold', 'ComparisonOperator', 'TreatMissingData']) {
      assert.deepEqual(alarm[property], cdkAlarm[property], property);
    }
    assert.deepEqual([alarm.Namespace, alarm.MetricName, alarm.TreatMissingData], ['AuroraFailback', 'ResourcesNotReady', 'breaching']);
    assert.deepEqual(alarm.Dimensions, [{ Name: 'Payload', Value: { Ref: 'DrReadinessPayloadParameter' } }]);
    assert.deepEqual(cdkAlarm.Dimensions, [{ Name: 'Payload', Value: READINESS_PAYLOAD }]);
    assert.deepEqual(alarm.Period, { 'Fn::FindInMap': ['ReadinessMinutes', { Ref: 'DrReadinessMinutes' }, 'PeriodSeconds'] });
    const minutes = sam.Parameters.DrReadinessMinutes;
    assert.deepEqual([minutes.Type, minutes.Default, minutes.AllowedValues], ['Number', 15, [...DR_READINESS_MINUTES]]);
    assert.deepEqual(Object.keys(raw.Mappings.ReadinessMinutes), DR_READINESS_MINUTES.map(String));
    for (const value of DR_READINESS_MINUTES) {
      assert.equal(raw.Mappings.ReadinessMinutes[String(value)].PeriodSeconds, value * 60, `${value} minutes`);
    }
    assert.equal(raw.Mappings.ReadinessMinutes[String(minutes.Default)].PeriodSeconds, cdkAlarm.Period);
    for (const property of ['EvaluationPeriods', 'DatapointsToAlarm']) {
      assert.deepEqual(alarm[property], { Ref: 'DrReadinessAlarmChecks' }, property);
      assert.equal(cdkAlarm[property], sam.Parameters.DrReadinessAlarmChecks.Default, property);
    }
    assert.deepEqual(alarm.AlarmActions, [{ Ref: 'NotificationTopic' }]);
    assert.deepEqual(cdkAlarm.AlarmActions, [{ Ref: logicalId(cdkOn.stack, cdkOn.construct.notificationTopic) }]);
    const checks = sam.Parameters.DrReadinessAlarmChecks;
    assert.deepEqual([checks.Type, checks.Default, checks.MinValue, checks.MaxValue], ['Number', 3, 1, 24]);
    assert.ok(checks.MaxValue * Math.max(...DR_READINESS_MINUTES) * 60 <= 86400, 'an alarm evaluates at most one day');
    const lag = sam.Parameters.DrReadinessMaxLagSeconds;
    assert.deepEqual([lag.Type, lag.Default, lag.MinValue, lag.MaxValue], ['Number', 60, 1, 86400]);
    // Counts: two more roles, one more alarm, in both.
    assert.equal(resourcesOfType(on, 'AWS::IAM::Role').length, 13);
    assert.equal(resourcesOfType(on, 'AWS::IAM::Role').length, resourcesOfType(cdkOn.json, 'AWS::IAM::Role').length);
    assert.equal(resourcesOfType(on, 'AWS::CloudWatch::Alarm').length, resourcesOfType(cdkOn.json, 'AWS::CloudWatch::Alarm').length);
    // The payload parameter: a full SSM name from "/", or empty; the construct refuses what the pattern refuses.
    const payload = sam.Parameters.DrReadinessPayloadParameter;
    assert.deepEqual([payload.Type, payload.Default, payload.MaxLength], ['String', '', 1011]);
    assert.equal(payload.AllowedPattern, `^$|${SSM_PARAMETER_NAME_PATTERN.source.replace(/\\\//g, '/')}`);
    const names = new RegExp(payload.AllowedPattern);
    for (const good of ['', '/payload', '/aurora-failback/dr/payload', '/a_b.c-d/e']) {
      assert.ok(names.test(good), good);
      if (good !== '') {
        synth({ drReadinessPayloadParameter: good });
      }
    }
    for (const bad of ['payload', 'aurora-failback/dr/payload', '/', '/a/', '//a', '/a b', '/a"b']) {
      assert.ok(!names.test(bad), bad);
      assert.throws(() => synth({ drReadinessPayloadParameter: bad }), /drReadinessPayloadParameter must be an SSM parameter name/, bad);
    }
    const readinessGroup = sam.Metadata['AWS::CloudFormation::Interface'].ParameterGroups
      .find((group: Json) => String(group.Label.default).startsWith('DR readiness'));
    assert.deepEqual(readinessGroup.Parameters,
      ['DrReadinessPayloadParameter', 'DrReadinessMinutes', 'DrReadinessAlarmChecks', 'DrReadinessMaxLagSeconds']);
  });

  it('takes DrRestoreTargets with the construct\'s rules, in the Cross-region DR group', () => {
    const targets = sam.Parameters.DrRestoreTargets;
    assert.deepEqual([targets.Type, targets.Default], ['CommaDelimitedList', '']);
    assert.equal(targets.AllowedPattern, `^$|${DB_CLUSTER_ID_PATTERN.source}`);
    const ids = new RegExp(targets.AllowedPattern);
    for (const good of ['', 'orders-restored', 'a', 'A1-b2']) {
      assert.ok(ids.test(good), good);
      if (good !== '') {
        synth({ drRestoreTargets: [good] });
      }
    }
    for (const bad of ['1orders', 'orders-', 'orders--x', 'orders x', 'orders_x', 'arn:aws:rds:eu-west-1:123456789012:cluster:x']) {
      assert.ok(!ids.test(bad), bad);
      assert.throws(() => synth({ drRestoreTargets: [bad] }), /drRestoreTargets: .* is not a DB cluster or DB instance identifier/, bad);
    }
    const drGroup = sam.Metadata['AWS::CloudFormation::Interface'].ParameterGroups
      .find((group: Json) => group.Label.default === 'Cross-region DR');
    assert.ok(drGroup.Parameters.includes('DrRestoreTargets'), 'DrRestoreTargets sits in the Cross-region DR group');
  });

  it('deploys the backup vault, plan, selection and role and the RPO watch only with BackupCopyVaultArn, as the construct', () => {
    const backupIds = ['BackupVault', 'BackupRole', 'BackupPlan', 'BackupSelection', 'BackupWatchLogGroup', 'BackupWatchRole',
      'BackupWatchFunction', 'BackupWatchScheduleRole', 'BackupWatchSchedule', 'BackupWatchAlarm'];
    assert.deepEqual(Object.keys(raw.Resources).filter((id) => raw.Resources[id].Condition === 'HasBackup').sort(), [...backupIds].sort());
    for (const id of backupIds) {
      assert.equal(sam.Resources[id], undefined, `no ${id} by default`);
    }
    assert.deepEqual(raw.Conditions.HasBackup, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'BackupCopyVaultArn' }, ''] }] });
    for (const output of ['BackupWatchFunctionName', 'BackupVaultName']) {
      assert.equal(raw.Outputs[output].Condition, 'HasBackup', output);
    }
    assert.deepEqual(raw.Outputs.BackupWatchFunctionName.Value, { Ref: 'BackupWatchFunction' });
    assert.deepEqual(raw.Outputs.BackupVaultName.Value, { Ref: 'BackupVault' });
    assert.equal(cdk.construct.backupVault, undefined);
    assert.equal(resourcesOfType(cdk.json, 'AWS::Backup::BackupPlan').length, 0);

    const on = resolveSamConditions(raw, { BackupCopyVaultArn: COPY_VAULT_ARN });
    const cdkOn = synth({ backupCopyVaultArn: COPY_VAULT_ARN });
    const cdkResource = (c: { node: Json } | undefined) => cdkOn.json.Resources[cdkOn.stack.getLogicalId(
      (c as Json).node.defaultChild ?? c)];
    const cdkId = (c: { node: Json }) => logicalId(cdkOn.stack, c);
    // Counts: three more roles (AWS Backup's, the watch's, its schedule's), one more alarm, in both.
    assert.equal(resourcesOfType(on, 'AWS::IAM::Role').length, 14);
    for (const type of ['AWS::IAM::Role', 'AWS::CloudWatch::Alarm', 'AWS::Backup::BackupVault', 'AWS::Backup::BackupPlan',
      'AWS::Backup::BackupSelection', 'AWS::Scheduler::Schedule']) {
      assert.equal(resourcesOfType(on, type).length, resourcesOfType(cdkOn.json, type).length, type);
    }

    // This region's vault: the stack's key, retained, a name unique to the stack.
    const vault = on.Resources.BackupVault;
    const cdkVault = cdkResource(cdkOn.construct.backupVault);
    assert.deepEqual(vault.Properties.EncryptionKeyArn, { 'Fn::GetAtt': ['Key', 'Arn'] });
    assert.deepEqual(cdkVault.Properties.EncryptionKeyArn, { 'Fn::GetAtt': [logicalId(cdkOn.stack, cdkOn.construct.key), 'Arn'] });
    for (const template of [vault, cdkVault]) {
      assert.deepEqual([template.DeletionPolicy, template.UpdateReplacePolicy], ['Retain', 'Retain']);
    }
    assert.deepEqual(normaliseIntrinsics(vault.Properties.BackupVaultName), normaliseIntrinsics(cdkVault.Properties.BackupVaultName));
    // The key policy lets IAM policies of this account use the key (AWS Backup's role, through its
    // managed policy): the root statement, unconditioned.
    const root = on.Resources.Key.Properties.KeyPolicy.Statement.find((st: Json) => st.Sid === 'AccountAdministersKeyThroughIam');
    assert.deepEqual([normaliseIntrinsics(root.Principal.AWS), root.Action, root.Condition],
      ['arn:${AWS::Partition}:iam::${AWS::AccountId}:root', 'kms:*', undefined]);

    // The plan: one rule, the schedule, the windows, snapshots (not continuous), the retention
    // here, and the copy to the DR vault with its own retention.
    const plan = on.Resources.BackupPlan.Properties.BackupPlan;
    const cdkPlan = cdkResource(cdkOn.construct.backupPlan).Properties.BackupPlan;
    assert.deepEqual(normaliseIntrinsics(plan.BackupPlanName), normaliseIntrinsics(cdkPlan.BackupPlanName));
    assert.equal(plan.BackupPlanRule.length, 1);
    assert.equal(cdkPlan.BackupPlanRule.length, 1);
    const [rule] = plan.BackupPlanRule;
    const [cdkRule] = cdkPlan.BackupPlanRule;
    assert.deepEqual(rule, {
      RuleName: 'copy-to-dr-region',
      TargetBackupVault: { Ref: 'BackupVault' },
      ScheduleExpression: { Ref: 'BackupSchedule' },
      StartWindowMinutes: BACKUP_START_WINDOW_MINUTES,
      CompletionWindowMinutes: BACKUP_COMPLETION_WINDOW_MINUTES,
      EnableContinuousBackup: false,
      Lifecycle: { DeleteAfterDays: { Ref: 'BackupRetentionDays' } },
      CopyActions: [{ DestinationBackupVaultArn: { Ref: 'BackupCopyVaultArn' }, Lifecycle: { DeleteAfterDays: { Ref: 'BackupCopyRetentionDays' } } }],
    });
    assert.deepEqual(cdkRule, {
      RuleName: 'copy-to-dr-region',
      TargetBackupVault: { Ref: cdkOn.stack.getLogicalId(cdkOn.construct.backupVault!) },
      ScheduleExpression: sam.Parameters.BackupSchedule.Default,
      StartWindowMinutes: BACKUP_START_WINDOW_MINUTES,
      CompletionWindowMinutes: BACKUP_COMPLETION_WINDOW_MINUTES,
      EnableContinuousBackup: false,
      Lifecycle: { DeleteAfterDays: sam.Parameters.BackupRetentionDays.Default },
      CopyActions: [{ DestinationBackupVaultArn: COPY_VAULT_ARN, Lifecycle: { DeleteAfterDays: sam.Parameters.BackupCopyRetentionDays.Default } }],
    });
    assert.ok(BACKUP_START_WINDOW_MINUTES + 60 <= BACKUP_COMPLETION_WINDOW_MINUTES, 'a started backup has an hour or more to complete');

    // The selection: RDS clusters and instances of this account and region AND the tag (Conditions,
    // not ListOfTags, which would be an OR), as AWS Backup's role.
    const selection = on.Resources.BackupSelection.Properties;
    const cdkSelection = cdkResource(cdkOn.construct.backupSelection).Properties;
    assert.deepEqual(selection.BackupPlanId, { Ref: 'BackupPlan' });
    assert.deepEqual(normaliseIntrinsics(selection.BackupSelection), normaliseIntrinsics(cdkSelection.BackupSelection));
    assert.deepEqual(normaliseIntrinsics(selection.BackupSelection), {
      SelectionName: 'protected-clusters-and-instances',
      IamRoleArn: '${GetAtt.Arn}',
      Resources: ['cluster', 'db'].map((type) => `arn:\${AWS::Partition}:rds:\${AWS::Region}:\${AWS::AccountId}:${type}:*`),
      Conditions: { StringEquals: [{ ConditionKey: 'aws:ResourceTag/aurora-failback:backup', ConditionValue: 'true' }] },
    });
    assert.deepEqual(selection.BackupSelection.IamRoleArn, { 'Fn::GetAtt': ['BackupRole', 'Arn'] });
    assert.equal(selection.BackupSelection.ListOfTags, undefined);
    // AWS Backup's role: trusted by AWS Backup, the managed policy for backups, nothing else.
    const backupRole = on.Resources.BackupRole.Properties;
    const cdkBackupRole = cdkOn.json.Resources[cdkId(cdkOn.construct.roles.backup!)].Properties;
    assert.deepEqual(normaliseIntrinsics(backupRole.ManagedPolicyArns), [BACKUP_SERVICE_POLICY_ARN]);
    assert.deepEqual(normaliseIntrinsics(cdkBackupRole.ManagedPolicyArns), [BACKUP_SERVICE_POLICY_ARN]);
    for (const role of [backupRole, cdkBackupRole]) {
      assert.deepEqual(role.AssumeRolePolicyDocument.Statement,
        [{ Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
      assert.equal(role.Policies, undefined);
    }
    assert.deepEqual(rolePermissions(on, 'BackupRole'), []);
    assert.deepEqual(rolePermissions(cdkOn.json, cdkId(cdkOn.construct.roles.backup!)), []);

    // The RPO watch, declared as the other functions.
    const fn = on.Resources.BackupWatchFunction;
    const cdkFnProps = cdkOn.json.Resources[cdkId(cdkOn.construct.backupWatchFunction!)].Properties;
    assert.equal(fn.Type, 'AWS::Serverless::Function');
    assert.equal(fn.Metadata.BuildMethod, 'rust-cargolambda');
    assert.equal(fn.Metadata.BuildProperties.Binary, BACKUP_WATCH_BINARY);
    assert.equal(BACKUP_WATCH_BINARY, 'backup-watch');
    assert.equal(fn.Properties.LoggingConfig.LogFormat, 'JSON');
    assert.deepEqual(fn.Properties.LoggingConfig.LogGroup, { Ref: 'BackupWatchLogGroup' });
    assert.deepEqual(on.Resources.BackupWatchLogGroup.Properties.LogGroupName, { 'Fn::Sub': '/aws/lambda/${AWS::StackName}/backup-watch' });
    assert.equal(fn.Properties.Timeout ?? sam.Globals.Function.Timeout, cdkFnProps.Timeout);
    // Its environment: the copy vault's region (the ARN's fourth field) and the RPO in minutes.
    assert.deepEqual(raw.Resources.BackupWatchFunction.Properties.Environment.Variables, {
      BACKUP_COPY_REGION: { 'Fn::Select': [3, { 'Fn::Split': [':', { Ref: 'BackupCopyVaultArn' }] }] },
      BACKUP_RPO_MINUTES: { Ref: 'BackupRpoMinutes' },
    });
    assert.deepEqual(fn.Properties.Environment.Variables, { BACKUP_COPY_REGION: COPY_REGION, BACKUP_RPO_MINUTES: { Ref: 'BackupRpoMinutes' } });
    assert.deepEqual(cdkFnProps.Environment.Variables,
      { BACKUP_COPY_REGION: COPY_REGION, BACKUP_RPO_MINUTES: String(sam.Parameters.BackupRpoMinutes.Default) });
    // A failed check is not run again late, in both.
    assert.deepEqual(fn.Properties.EventInvokeConfig, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    const invokeConfigs = resourcesOfType(cdkOn.json, 'AWS::Lambda::EventInvokeConfig')
      .filter(([, c]) => c.Properties.FunctionName.Ref === cdkId(cdkOn.construct.backupWatchFunction!));
    assert.deepEqual(invokeConfigs.map(([, c]) => [c.Properties.MaximumRetryAttempts, c.Properties.MaximumEventAgeInSeconds]), [[0, 300]]);
    // Its role: reads only, the same permissions in both; the copies only in the copy's region.
    assert.equal(functionRoleId(on, 'BackupWatchFunction'), 'BackupWatchRole');
    assert.deepEqual(rolePermissions(on, 'BackupWatchRole'), backupWatchPermissions(COPY_REGION));
    assert.deepEqual(rolePermissions(on, 'BackupWatchRole'), rolePermissions(cdkOn.json, cdkId(cdkOn.construct.roles.backupWatch!)));
    const elsewhere = synth({ backupCopyVaultArn: 'arn:aws:backup:us-west-2:123456789012:backup-vault:x1' });
    assert.deepEqual(rolePermissions(resolveSamConditions(raw, { BackupCopyVaultArn: 'arn:aws:backup:us-west-2:123456789012:backup-vault:x1' }),
      'BackupWatchRole'), rolePermissions(elsewhere.json, logicalId(elsewhere.stack, elsewhere.construct.roles.backupWatch!)));
    assert.deepEqual(rolePermissions(elsewhere.json, logicalId(elsewhere.stack, elsewhere.construct.roles.backupWatch!)),
      backupWatchPermissions('us-west-2'));
    // The schedule and its role, the same in both.
    const schedule = on.Resources.BackupWatchSchedule.Properties;
    const cdkSchedule = cdkOn.json.Resources[cdkOn.stack.getLogicalId(cdkOn.construct.backupWatchSchedule!)].Properties;
    assert.equal(schedule.ScheduleExpression, 'rate(15 minutes)');
    assert.equal(schedule.Target.Input, '{}');
    for (const property of ['ScheduleExpression', 'FlexibleTimeWindow', 'State', 'Description']) {
      assert.deepEqual(schedule[property], cdkSchedule[property], property);
    }
    for (const property of ['Input', 'RetryPolicy']) {
      assert.deepEqual(schedule.Target[property], cdkSchedule.Target[property], property);
    }
    assert.deepEqual(schedule.Target.RetryPolicy, { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 });
    assert.deepEqual(schedule.Target.Arn, { 'Fn::GetAtt': ['BackupWatchFunction', 'Arn'] });
    assert.deepEqual(schedule.Target.RoleArn, { 'Fn::GetAtt': ['BackupWatchScheduleRole', 'Arn'] });
    assert.deepEqual(rolePermissions(on, 'BackupWatchScheduleRole'), BACKUP_WATCH_SCHEDULE_PERMISSIONS);
    assert.deepEqual(roleStatements(on, 'BackupWatchScheduleRole')[0].Resource, { 'Fn::GetAtt': ['BackupWatchFunction', 'Arn'] });
    assert.deepEqual(rolePermissions(on, 'BackupWatchScheduleRole'),
      rolePermissions(cdkOn.json, cdkId(cdkOn.construct.roles.backupWatchSchedule!)));
    assert.deepEqual(normaliseIntrinsics(on.Resources.BackupWatchScheduleRole.Properties.AssumeRolePolicyDocument.Statement),
      normaliseIntrinsics(cdkOn.json.Resources[cdkId(cdkOn.construct.roles.backupWatchSchedule!)].Properties.AssumeRolePolicyDocument.Statement));
    // The alarm: CopiesOutsideRpo, no dimension, the worst of each 15 minutes, two in a row, a
    // missing check counts as outside the RPO; into the topic.
    const alarm = on.Resources.BackupWatchAlarm.Properties;
    const cdkAlarm = cdkOn.json.Resources[cdkId(cdkOn.construct.backupWatchAlarm!)].Properties;
    const shape = (a: Json) => ({ ...a, AlarmDescription: undefined, AlarmActions: undefined });
    assert.deepEqual(shape(alarm), shape(cdkAlarm));
    assert.deepEqual(shape(alarm), {
      AlarmDescription: undefined, AlarmActions: undefined, Namespace: 'AuroraFailback', MetricName: 'CopiesOutsideRpo',
      Statistic: 'Maximum', Period: 900, EvaluationPeriods: 2, DatapointsToAlarm: 2, Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'breaching',
    });
    assert.deepEqual(alarm.AlarmActions, [{ Ref: 'NotificationTopic' }]);
    assert.deepEqual(cdkAlarm.AlarmActions, [{ Ref: logicalId(cdkOn.stack, cdkOn.construct.notificationTopic) }]);

    // The parameters, with the construct's defaults and refusals.
    const arn = sam.Parameters.BackupCopyVaultArn;
    assert.deepEqual([arn.Type, arn.Default], ['String', '']);
    assert.equal(arn.AllowedPattern, `^$|${BACKUP_VAULT_ARN_PATTERN.source}`);
    const arns = new RegExp(arn.AllowedPattern);
    for (const good of ['', COPY_VAULT_ARN, 'arn:aws-us-gov:backup:us-gov-west-1:123456789012:backup-vault:a_b-C']) {
      assert.ok(arns.test(good), good);
      if (good !== '') {
        synth({ backupCopyVaultArn: good });
      }
    }
    for (const bad of ['aurora-failback-copies', 'arn:aws:backup:eu-central-1:123456789012:backup-plan:x1',
      'arn:aws:backup:eu-central-1:1234:backup-vault:x1', 'arn:aws:backup:eu-central-1:123456789012:backup-vault:x',
      `arn:aws:backup:eu-central-1:123456789012:backup-vault:${'a'.repeat(51)}`, 'arn:aws:kms:eu-central-1:123456789012:key/x']) {
      assert.ok(!arns.test(bad), bad);
      assert.throws(() => synth({ backupCopyVaultArn: bad }), /backupCopyVaultArn must be a backup vault's ARN/, bad);
    }
    const schedules = sam.Parameters.BackupSchedule;
    assert.deepEqual([schedules.Type, schedules.Default], ['String', DEFAULT_BACKUP_SCHEDULE]);
    assert.equal(schedules.AllowedPattern, BACKUP_SCHEDULE_PATTERN.source);
    for (const good of [DEFAULT_BACKUP_SCHEDULE, 'cron(0 5 ? * * *)']) {
      assert.ok(new RegExp(schedules.AllowedPattern).test(good), good);
      synth({ backupCopyVaultArn: COPY_VAULT_ARN, backupSchedule: good });
    }
    for (const bad of ['rate(2 hours)', 'cron(0 */2 * * ? *', '0 */2 * * ? *', 'cron((0))']) {
      assert.ok(!new RegExp(schedules.AllowedPattern).test(bad), bad);
      assert.throws(() => synth({ backupCopyVaultArn: COPY_VAULT_ARN, backupSchedule: bad }), /backupSchedule must be a cron expression/, bad);
    }
    const numbers: Array<[string, string, number, number, number]> = [
      ['BackupRetentionDays', 'backupRetentionDays', 7, 1, 3650],
      ['BackupCopyRetentionDays', 'backupCopyRetentionDays', 14, 1, 3650],
      ['BackupRpoMinutes', 'backupRpoMinutes', 180, 60, 10080],
    ];
    for (const [name, prop, defaultValue, min, max] of numbers) {
      const parameter = sam.Parameters[name];
      assert.deepEqual([parameter.Type, parameter.Default, parameter.MinValue, parameter.MaxValue], ['Number', defaultValue, min, max], name);
      for (const good of [min, max]) {
        synth({ backupCopyVaultArn: COPY_VAULT_ARN, [prop]: good });
      }
      for (const bad of [min - 1, max + 1, min + 0.5]) {
        assert.throws(() => synth({ backupCopyVaultArn: COPY_VAULT_ARN, [prop]: bad }),
          new RegExp(`${prop} must be a whole number from ${min} to ${max}`), `${name} ${bad}`);
      }
    }
    const group = sam.Metadata['AWS::CloudFormation::Interface'].ParameterGroups
      .find((g: Json) => String(g.Label.default).startsWith('Cold standby'));
    assert.deepEqual(group.Parameters, ['BackupCopyVaultArn', 'BackupSchedule', 'BackupRetentionDays', 'BackupCopyRetentionDays', 'BackupRpoMinutes']);
    // Nothing else changes: every other role keeps its actions.
    for (const key of FUNCTION_KEYS) {
      assert.deepEqual(rolePermissions(on, functionRoleId(on, SAM_FUNCTIONS[key])), rolePermissions(sam, functionRoleId(sam, SAM_FUNCTIONS[key])), key);
    }
  });

  it('builds the RPO watch from the workspace crate crates/backup-watch', () => {
    assert.ok(fs.existsSync(path.join(REPO_ROOT, 'crates', BACKUP_WATCH_BINARY, 'Cargo.toml')), `crates/${BACKUP_WATCH_BINARY} exists`);
  });

  it('matches the construct\'s event rules and ledger table', () => {
    const cdkRule = (rule: { node: Json }) => cdk.json.Resources[logicalId(cdk.stack, rule)].Properties;
    assert.deepEqual(sam.Resources.FailoverEventRule.Properties.EventPattern,
      cdkRule(cdk.construct.failoverEventRule).EventPattern);
    assert.deepEqual(withoutIntrinsics(sam.Resources.ExecutionEndedRule.Properties.EventPattern),
      withoutIntrinsics(cdkRule(cdk.construct.executionEndedRule).EventPattern));
    // Both send the status changes of both machines, failback then DR, to record-run.
    assert.deepEqual(sam.Resources.ExecutionEndedRule.Properties.EventPattern.detail.stateMachineArn,
      MACHINES.map((machine) => ({ Ref: machine.sam })));
    assert.deepEqual(cdkRule(cdk.construct.executionEndedRule).EventPattern.detail.stateMachineArn,
      MACHINES.map((machine) => ({ Ref: logicalId(cdk.stack, cdk.construct[machine.cdk]) })));
    assert.deepEqual(sam.Resources.ExecutionEndedRule.Properties.Targets.map((t: Json) => t.Arn),
      [{ 'Fn::GetAtt': ['RecordRunFunction', 'Arn'] }]);
    assert.equal(sam.Resources.ExecutionEndedRule.Properties.Description,
      cdkRule(cdk.construct.executionEndedRule).Description);
    for (const rule of ['FailoverEventRule', 'ExecutionEndedRule', 'RunFinishedNotifyRule', 'DrRunFinishedNotifyRule']) {
      const [target] = sam.Resources[rule].Properties.Targets;
      assert.ok(target.RetryPolicy, `${rule} retries`);
      assert.deepEqual(target.DeadLetterConfig, { Arn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] } }, rule);
      assert.equal(target.Input, undefined, `${rule} passes the event as it is`);
    }
    for (const [rule, cdkRule_] of [['RunFinishedNotifyRule', cdk.construct.runFinishedNotifyRule],
      ['DrRunFinishedNotifyRule', cdk.construct.drRunFinishedNotifyRule]] as const) {
      const notify = raw.Resources[rule].Properties.EventPattern;
      assert.deepEqual(notify.detail, { 'Fn::If': ['NotifyEveryRun', { Ref: 'AWS::NoValue' }, { outcome: ['failed'] }] }, rule);
      assert.deepEqual(sam.Resources[rule].Properties.EventPattern, cdkRule(cdkRule_).EventPattern, rule);
      assert.deepEqual(sam.Resources[rule].Properties.Targets[0].Arn, { Ref: 'NotificationTopic' }, rule);
    }
    assert.deepEqual(sam.Resources.DrRunFinishedNotifyRule.Properties.EventPattern['detail-type'],
      ['Aurora Failback DR Run Finished']);
    // The topic and the dead-letter queue take EventBridge deliveries from both notify rules.
    const bothRules = [{ 'Fn::GetAtt': ['RunFinishedNotifyRule', 'Arn'] }, { 'Fn::GetAtt': ['DrRunFinishedNotifyRule', 'Arn'] }];
    const topicStatement = sam.Resources.NotificationTopicPolicy.Properties.PolicyDocument.Statement
      .find((s: Json) => s.Sid === 'RunFinishedRuleOfThisStack');
    assert.deepEqual(topicStatement.Condition.ArnEquals['aws:SourceArn'], bothRules);
    const queueSources = sam.Resources.DeadLetterQueuePolicy.Properties.PolicyDocument.Statement[0].Condition.ArnEquals['aws:SourceArn'];
    for (const rule of bothRules) {
      assert.ok(queueSources.some((s: Json) => JSON.stringify(s) === JSON.stringify(rule)), JSON.stringify(rule));
    }
    // Both machines alarm on failed and timed-out executions, like the construct.
    const alarms = resourcesOfType(sam, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties)
      .filter((a) => a.Namespace === 'AWS/States')
      .map((a) => `${a.MetricName} ${a.Dimensions[0].Value.Ref} ${a.Statistic} ${a.Period} ${a.Threshold} ${JSON.stringify(a.AlarmActions)}`)
      .sort();
    assert.deepEqual(alarms, [
      'ExecutionsFailed DrStateMachine Sum 300 1 [{"Ref":"NotificationTopic"}]',
      'ExecutionsFailed FailbackStateMachine Sum 300 1 [{"Ref":"NotificationTopic"}]',
      'ExecutionsTimedOut DrStateMachine Sum 300 1 [{"Ref":"NotificationTopic"}]',
      'ExecutionsTimedOut FailbackStateMachine Sum 300 1 [{"Ref":"NotificationTopic"}]',
    ]);
    assert.equal(resourcesOfType(sam, 'AWS::CloudWatch::Alarm').length,
      resourcesOfType(cdk.json, 'AWS::CloudWatch::Alarm').length);
    const table = sam.Resources.LedgerTable.Properties;
    const cdkTable = cdk.json.Resources[logicalId(cdk.stack, cdk.construct.ledgerTable)].Properties;
    for (const property of ['KeySchema', 'BillingMode', 'TimeToLiveSpecification', 'PointInTimeRecoverySpecification']) {
      assert.deepEqual(table[property], cdkTable[property], property);
    }
    assert.equal(sam.Resources.DeadLetterQueue.Properties.KmsMasterKeyId.Ref, 'Key');
    assert.equal(sam.Resources.NotificationTopic.Properties.KmsMasterKeyId.Ref, 'Key');
  });

  const deploySection = () => {
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
    return readme.slice(readme.indexOf('## Deploy'));
  };

  it('names the parameters the README documents, with defaults', () => {
    assert.deepEqual(Object.keys(sam.Parameters).sort(),
      ['AllowUntaggedManualRuns', 'Architecture', 'BackupCopyRetentionDays', 'BackupCopyVaultArn', 'BackupRetentionDays', 'BackupRpoMinutes',
        'BackupSchedule', 'DrGlobalClusters', 'DrGlobalReplicationGroups', 'DrInstances', 'DrParameterPathPrefix',
        'DrReadinessAlarmChecks', 'DrReadinessMaxLagSeconds', 'DrReadinessMinutes', 'DrReadinessPayloadParameter',
        'DrReplicaClusters', 'DrRestoreTargets', 'DryRunOnly', 'LogRetentionInDays', 'MaxEventAgeSeconds', 'NewReaderWaitSeconds', 'NotificationEmail',
        'NotifyOnEveryRun', 'ReaderCheckBudget', 'ResourceCheckBudget', 'WriterCheckBudget']);
    // The README's "Deploy" section documents every parameter.
    const documented = deploySection();
    for (const [name, parameter] of Object.entries<Json>(sam.Parameters)) {
      assert.ok(parameter.Default !== undefined, `${name} has a default`);
      assert.ok(documented.includes(`\`${name}\``), `README's Deploy section documents ${name}`);
    }
    assert.deepEqual(Object.keys(raw.Outputs).sort(),
      ['BackupVaultName', 'BackupWatchFunctionName', 'DeadLetterQueueUrl', 'DrReadinessFunctionName', 'DrStateMachineArn', 'KeyArn',
        'LedgerTableName', 'NotificationTopicArn', 'StateMachineArn', 'StateMachineName']);
    assert.deepEqual(sam.Outputs.DrStateMachineArn.Value, { Ref: 'DrStateMachine' });
  });
});
