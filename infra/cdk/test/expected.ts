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
 * deployed by default: DrGlobalClusters empty, so dr-act may switch nothing (see
 * DR_SWITCH_ACTIONS).
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

/** The actions each role may use with DrGlobalClusters set. */
export function expectedActions(key: RoleKey, withGlobalClusters: boolean): string[] {
  const actions = [...EXPECTED_ACTIONS[key]];
  if (withGlobalClusters && key === 'drAct') {
    actions.push(...DR_SWITCH_ACTIONS);
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

/** dr-act's permissions: the reads, and switching only the global clusters given. */
export function drActPermissions(globalClusters: string[]): string[] {
  const switching = globalClusters.length === 0 ? [] : [
    ...globalClusters.flatMap((id) => allow(DR_SWITCH_ACTIONS, `arn:*:rds::*:global-cluster:${id}`)),
    ...allow(DR_SWITCH_ACTIONS, CLUSTERS_HERE),
  ];
  return [...OWN_LOGS_AND_TRACES, ...READ_GLOBAL_DATABASES, ...switching].sort();
}
