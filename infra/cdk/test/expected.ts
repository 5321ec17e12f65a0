import { FunctionKey } from '../lib';

export type RoleKey = FunctionKey | 'stateMachine' | 'drStateMachine' | 'startRuns';

const STATE_MACHINE_ACTIONS = [
  'lambda:InvokeFunction', 'events:PutEvents',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
];

/**
 * Every IAM action each role may use: what the function calls, and nothing else. As
 * deployed by default: DrGlobalClusters and DrInstances empty, so dr-act may switch, create
 * a secondary, promote and create a read replica nothing (see DR_SWITCH_ACTIONS,
 * DR_SECONDARY_ACTIONS, DR_PROMOTE_ACTIONS, DR_REPLICA_ACTIONS and DR_NEW_INSTANCE_ACTIONS).
 */
export const EXPECTED_ACTIONS: Record<RoleKey, string[]> = {
  describeWriter: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:DescribeOrderableDBInstanceOptions',
  ],
  createReader: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:DescribeOrderableDBInstanceOptions',
    'rds:CreateDBInstance', 'rds:AddTagsToResource',
    'iam:PassRole',
    'kms:DescribeKey', 'kms:CreateGrant', 'kms:Decrypt', 'kms:GenerateDataKey',
  ],
  checkStatus: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeDBClusters', 'rds:DescribeDBInstances',
  ],
  failover: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeDBClusters', 'rds:DescribeDBInstances', 'rds:FailoverDBCluster',
  ],
  recordRun: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:Query',
    'sqs:SendMessage',
    'kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey',
  ],
  drValidate: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'cloudformation:ListExports', 'ssm:GetParameters', 'kms:Decrypt',
  ],
  drCheck: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeGlobalClusters', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances',
  ],
  drAct: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeGlobalClusters', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances',
  ],
  stateMachine: STATE_MACHINE_ACTIONS,
  drStateMachine: STATE_MACHINE_ACTIONS,
  startRuns: ['states:StartExecution'],
};

/** What dr-act gains, and only it, when DrGlobalClusters names global databases. */
export const DR_SWITCH_ACTIONS = ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster'];

/**
 * What else dr-act gains with DrGlobalClusters: creating a secondary cluster of one of them
 * in this region (CreateAuroraSecondaryDBCluster), with its first instance (and
 * DR_NEW_INSTANCE_ACTIONS).
 */
export const DR_SECONDARY_ACTIONS = ['rds:CreateDBCluster', 'rds:CreateDBInstance'];

/** What dr-act gains, and only it, when DrInstances names DB instances: promoting them... */
export const DR_PROMOTE_ACTIONS = ['rds:PromoteReadReplica'];
/** ... and creating a read replica here of or as them (CreateRDSReadReplica; and DR_NEW_INSTANCE_ACTIONS). */
export const DR_REPLICA_ACTIONS = ['rds:CreateDBInstanceReadReplica'];

/**
 * What dr-act gains when either list is set, for any instance it creates (a secondary's
 * first instance, or a read replica): an encryption key of this region used through RDS,
 * and an enhanced-monitoring role passed to RDS.
 */
export const DR_NEW_INSTANCE_ACTIONS = ['kms:CreateGrant', 'kms:DescribeKey', 'iam:PassRole'];

/** Every action dr-act uses to create something: a secondary, a read replica, and what a new instance needs. */
export const DR_CREATION_ACTIONS = [...DR_SECONDARY_ACTIONS, ...DR_REPLICA_ACTIONS, ...DR_NEW_INSTANCE_ACTIONS];

/** The actions each role may use with DrGlobalClusters set, and with DrInstances set. */
export function expectedActions(key: RoleKey, withGlobalClusters: boolean, withInstances = false): string[] {
  const actions = [...EXPECTED_ACTIONS[key]];
  if (key !== 'drAct') {
    return actions.sort();
  }
  if (withGlobalClusters) {
    actions.push(...DR_SWITCH_ACTIONS, ...DR_SECONDARY_ACTIONS);
  }
  if (withInstances) {
    actions.push(...DR_PROMOTE_ACTIONS, ...DR_REPLICA_ACTIONS);
  }
  if (withGlobalClusters || withInstances) {
    actions.push(...DR_NEW_INSTANCE_ACTIONS);
  }
  return actions.sort();
}

/** The only actions allowed on Resource "*": they have no resource-level permissions. */
export const WILDCARD_RESOURCE_ACTIONS = new Set([
  'rds:DescribeOrderableDBInstanceOptions',
  'cloudformation:ListExports',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
]);

// --- The DR roles' permissions, exactly: one line per action, resource and condition, as
// support.rolePermissions writes them (intrinsics in Fn::Sub form; `${GetAtt.Arn}` is the
// function's own log group).
const allow = (actions: string[], resource: string, condition?: object) =>
  actions.map((action) => `Allow ${action} on ${resource}${condition ? ` if ${JSON.stringify(condition)}` : ''}`);
const OWN_LOGS_AND_TRACES = [
  ...allow(['logs:CreateLogStream', 'logs:PutLogEvents'], '${GetAtt.Arn}'),
  ...allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], '*'),
];
const CLUSTERS_HERE = 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:*';
const READ_GLOBAL_DATABASES = [
  ...allow(['rds:DescribeGlobalClusters'], 'arn:${AWS::Partition}:rds::${AWS::AccountId}:global-cluster:*'),
  ...allow(['rds:DescribeDBClusters'], CLUSTERS_HERE),
  ...allow(['rds:DescribeDBInstances'], 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:*'),
];

/** dr-validate's permissions for a parameter path prefix (starting and ending with "/"). */
export function drValidatePermissions(prefix: string): string[] {
  return [
    ...OWN_LOGS_AND_TRACES,
    ...allow(['cloudformation:ListExports'], '*'),
    ...allow(['ssm:GetParameters'], `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${prefix}*`),
    ...allow(['kms:Decrypt'], 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*',
      { StringEquals: { 'kms:ViaService': 'ssm.${AWS::Region}.amazonaws.com' } }),
  ].sort();
}

export const DR_CHECK_PERMISSIONS = [...OWN_LOGS_AND_TRACES, ...READ_GLOBAL_DATABASES].sort();

/**
 * The condition that takes dr-act's `arn:*:rds:*:*:db:<id>` back to the stack's region, and
 * keeps CreateDBCluster on `arn:*:rds::*:global-cluster:<id>` (no region) to it.
 */
export const IN_THIS_REGION = { StringEquals: { 'aws:RequestedRegion': '${AWS::Region}' } };

/** An RDS resource type of this account and region, any name. */
export const rdsHere = (type: string) => `arn:\${AWS::Partition}:rds:\${AWS::Region}:\${AWS::AccountId}:${type}:*`;

/** The resources CreateDBCluster and CreateDBInstance may use in this region when dr-act creates a secondary. */
export const SECONDARY_CLUSTER_RESOURCES = ['cluster', 'subgrp', 'cluster-pg', 'og'].map(rdsHere);
export const SECONDARY_INSTANCE_RESOURCES = ['db', 'cluster', 'subgrp', 'pg', 'og'].map(rdsHere);
/** The groups CreateDBInstanceReadReplica may use in this region when dr-act creates a read replica. */
export const REPLICA_GROUP_RESOURCES = ['subgrp', 'pg', 'og'].map(rdsHere);
/** How dr-act's role names a listed DB instance: any partition, region and account (see dbInstanceArnPattern). */
export const listedInstance = (id: string) => `arn:*:rds:*:*:db:${id}`;
export const KEYS_HERE = 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*';
export const ROLES_OF_THIS_ACCOUNT = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*';
export const THROUGH_RDS_HERE = { StringEquals: { 'kms:ViaService': 'rds.${AWS::Region}.amazonaws.com' } };
export const TO_ENHANCED_MONITORING = { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } };

/**
 * dr-act's permissions: the reads; switching, and creating a secondary in this region of,
 * only the global clusters given; promoting only the DB instances given, in the stack's
 * region; creating a read replica only of and as the DB instances given (any region: the
 * source is in another), with this region's groups; a key of this region through RDS and
 * the monitoring role when either list is set.
 */
export function drActPermissions(globalClusters: string[], instances: string[] = []): string[] {
  const switching = globalClusters.length === 0 ? [] : [
    ...globalClusters.flatMap((id) => allow(DR_SWITCH_ACTIONS, `arn:*:rds::*:global-cluster:${id}`)),
    ...allow(DR_SWITCH_ACTIONS, CLUSTERS_HERE),
  ];
  const secondary = globalClusters.length === 0 ? [] : [
    ...globalClusters.flatMap((id) => allow(['rds:CreateDBCluster'], `arn:*:rds::*:global-cluster:${id}`, IN_THIS_REGION)),
    ...SECONDARY_CLUSTER_RESOURCES.flatMap((resource) => allow(['rds:CreateDBCluster'], resource)),
    ...SECONDARY_INSTANCE_RESOURCES.flatMap((resource) => allow(['rds:CreateDBInstance'], resource)),
  ];
  const promoting = instances.flatMap((id) => allow(DR_PROMOTE_ACTIONS, listedInstance(id), IN_THIS_REGION));
  const replicating = instances.length === 0 ? [] : [
    ...instances.flatMap((id) => allow(DR_REPLICA_ACTIONS, listedInstance(id))),
    ...REPLICA_GROUP_RESOURCES.flatMap((resource) => allow(DR_REPLICA_ACTIONS, resource)),
  ];
  const newInstance = globalClusters.length === 0 && instances.length === 0 ? [] : [
    ...allow(['kms:CreateGrant', 'kms:DescribeKey'], KEYS_HERE, THROUGH_RDS_HERE),
    ...allow(['iam:PassRole'], ROLES_OF_THIS_ACCOUNT, TO_ENHANCED_MONITORING),
  ];
  return [...OWN_LOGS_AND_TRACES, ...READ_GLOBAL_DATABASES, ...switching, ...secondary, ...promoting, ...replicating,
    ...newInstance].sort();
}

/** A statement as the tests compare it: Sid, actions, resources and condition, intrinsics in Fn::Sub form. */
export interface StatementShape {
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: object;
}

/**
 * dr-act's statements for creating anything (DR_CREATION_ACTIONS), exactly and in order: a
 * secondary's three with global clusters, a read replica's two with DB instances, and the
 * key and monitoring-role statements, once, with either; none at all with neither.
 */
export function drCreationStatements(globalClusters: string[], instances: string[]): StatementShape[] {
  const secondary: StatementShape[] = globalClusters.length === 0 ? [] : [
    {
      Sid: 'CreateSecondaryInConfiguredGlobalClustersOnly',
      Action: ['rds:CreateDBCluster'],
      Resource: globalClusters.map((id) => `arn:*:rds::*:global-cluster:${id}`),
      Condition: IN_THIS_REGION,
    },
    { Sid: 'CreateSecondaryClusterInThisRegion', Action: ['rds:CreateDBCluster'], Resource: SECONDARY_CLUSTER_RESOURCES },
    { Sid: 'CreateSecondaryInstanceInThisRegion', Action: ['rds:CreateDBInstance'], Resource: SECONDARY_INSTANCE_RESOURCES },
  ];
  // No Condition on the listed instances: the source is authorised in its own region.
  const replica: StatementShape[] = instances.length === 0 ? [] : [
    { Sid: 'CreateReplicaOfAndAsConfiguredInstancesOnly', Action: DR_REPLICA_ACTIONS, Resource: instances.map(listedInstance) },
    { Sid: 'CreateReplicaWithGroupsInThisRegion', Action: DR_REPLICA_ACTIONS, Resource: REPLICA_GROUP_RESOURCES },
  ];
  const newInstance: StatementShape[] = globalClusters.length === 0 && instances.length === 0 ? [] : [
    {
      Sid: 'UseNewInstanceKeysThroughRdsOnly',
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: [KEYS_HERE],
      Condition: THROUGH_RDS_HERE,
    },
    {
      Sid: 'PassNewInstanceMonitoringRoleOnly',
      Action: ['iam:PassRole'],
      Resource: [ROLES_OF_THIS_ACCOUNT],
      Condition: TO_ENHANCED_MONITORING,
    },
  ];
  return [...secondary, ...replica, ...newInstance];
}
