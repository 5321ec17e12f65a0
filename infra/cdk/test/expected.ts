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
 * a secondary and promote nothing (see DR_SWITCH_ACTIONS, DR_SECONDARY_ACTIONS and
 * DR_PROMOTE_ACTIONS).
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
 * in this region (CreateAuroraSecondaryDBCluster), with its first instance, an encryption
 * key of this region used through RDS and an enhanced-monitoring role passed to RDS.
 */
export const DR_SECONDARY_ACTIONS = [
  'rds:CreateDBCluster', 'rds:CreateDBInstance', 'kms:CreateGrant', 'kms:DescribeKey', 'iam:PassRole',
];

/** What dr-act gains, and only it, when DrInstances names DB instances. */
export const DR_PROMOTE_ACTIONS = ['rds:PromoteReadReplica'];

/** The actions each role may use with DrGlobalClusters set, and with DrInstances set. */
export function expectedActions(key: RoleKey, withGlobalClusters: boolean, withInstances = false): string[] {
  const actions = [...EXPECTED_ACTIONS[key]];
  if (withGlobalClusters && key === 'drAct') {
    actions.push(...DR_SWITCH_ACTIONS, ...DR_SECONDARY_ACTIONS);
  }
  if (withInstances && key === 'drAct') {
    actions.push(...DR_PROMOTE_ACTIONS);
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
export const THROUGH_RDS_HERE = { StringEquals: { 'kms:ViaService': 'rds.${AWS::Region}.amazonaws.com' } };
export const TO_ENHANCED_MONITORING = { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } };

/**
 * dr-act's permissions: the reads; switching, and creating a secondary in this region of,
 * only the global clusters given; promoting only the DB instances given, in the stack's region.
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
    ...allow(['kms:CreateGrant', 'kms:DescribeKey'], 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*',
      THROUGH_RDS_HERE),
    ...allow(['iam:PassRole'], 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*', TO_ENHANCED_MONITORING),
  ];
  const promoting = instances.flatMap((id) => allow(DR_PROMOTE_ACTIONS, `arn:*:rds:*:*:db:${id}`, IN_THIS_REGION));
  return [...OWN_LOGS_AND_TRACES, ...READ_GLOBAL_DATABASES, ...switching, ...secondary, ...promoting].sort();
}

/** A statement as the tests compare it: Sid, actions, resources and condition, intrinsics in Fn::Sub form. */
export interface StatementShape {
  Sid: string;
  Action: string[];
  Resource: string[];
  Condition?: object;
}

/**
 * dr-act's statements for creating a secondary (CreateAuroraSecondaryDBCluster), exactly
 * and in order, for the global clusters given: none at all without global clusters.
 */
export function drSecondaryStatements(globalClusters: string[]): StatementShape[] {
  if (globalClusters.length === 0) {
    return [];
  }
  return [
    {
      Sid: 'CreateSecondaryInConfiguredGlobalClustersOnly',
      Action: ['rds:CreateDBCluster'],
      Resource: globalClusters.map((id) => `arn:*:rds::*:global-cluster:${id}`),
      Condition: IN_THIS_REGION,
    },
    { Sid: 'CreateSecondaryClusterInThisRegion', Action: ['rds:CreateDBCluster'], Resource: SECONDARY_CLUSTER_RESOURCES },
    { Sid: 'CreateSecondaryInstanceInThisRegion', Action: ['rds:CreateDBInstance'], Resource: SECONDARY_INSTANCE_RESOURCES },
    {
      Sid: 'UseSecondaryKeysThroughRdsOnly',
      Action: ['kms:CreateGrant', 'kms:DescribeKey'],
      Resource: ['arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*'],
      Condition: THROUGH_RDS_HERE,
    },
    {
      Sid: 'PassSecondaryMonitoringRoleOnly',
      Action: ['iam:PassRole'],
      Resource: ['arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*'],
      Condition: TO_ENHANCED_MONITORING,
    },
  ];
}
