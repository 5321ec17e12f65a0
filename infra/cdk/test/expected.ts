import { FunctionKey } from '../lib';

/** Every IAM action each role may use: what the function calls, and nothing else. */
export const EXPECTED_ACTIONS: Record<FunctionKey | 'stateMachine' | 'startRuns', string[]> = {
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
  stateMachine: [
    'lambda:InvokeFunction', 'events:PutEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
    'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
  ],
  startRuns: ['states:StartExecution'],
};

/** The only actions allowed on Resource "*": they have no resource-level permissions. */
export const WILDCARD_RESOURCE_ACTIONS = new Set([
  'rds:DescribeOrderableDBInstanceOptions',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
]);
