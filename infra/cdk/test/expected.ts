import { FunctionKey } from '../lib';

export type RoleKey = FunctionKey | 'stateMachine' | 'drStateMachine' | 'startRuns';

const STATE_MACHINE_ACTIONS = [
  'lambda:InvokeFunction', 'events:PutEvents',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets',
  'logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups',
];

/**
 * The replica lag dr-check and the readiness function read: no resource-level permissions.
 * GetMetricData is not granted: nothing calls it.
 */
export const METRIC_READ_ACTIONS = ['cloudwatch:GetMetricStatistics'];

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
    'rds:DescribeDBSubnetGroups',
    'rds:CreateDBInstance', 'rds:AddTagsToResource',
    // READER_INSTANCE_ACTIONS: the planned scale-up's resize and the clean-up's delete.
    'rds:ModifyDBInstance', 'rds:DeleteDBInstance',
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
    ...METRIC_READ_ACTIONS,
  ],
  drAct: [
    'logs:CreateLogStream', 'logs:PutLogEvents',
    'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
    'rds:DescribeGlobalClusters', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances',
  ],
  stateMachine: STATE_MACHINE_ACTIONS,
  // The DR machine also starts the failback machine (the capacity hand-off).
  drStateMachine: [...STATE_MACHINE_ACTIONS, 'states:StartExecution'],
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

/** What dr-check and dr-act gain, and only they, when DrGlobalReplicationGroups names global datastores: the read... */
export const DR_ELASTICACHE_READ_ACTIONS = ['elasticache:DescribeGlobalReplicationGroups'];
/** ... and, dr-act only, the failover (FailoverElastiCacheCluster). */
export const DR_ELASTICACHE_FAILOVER_ACTIONS = ['elasticache:FailoverGlobalReplicationGroup'];
/** What dr-act gains, and only it, when DrReplicaClusters names Aurora replica clusters. */
export const DR_PROMOTE_CLUSTER_ACTIONS = ['rds:PromoteReadReplicaDBCluster'];

/** What dr-check and dr-act gain when DrRestoreTargets names clusters or instances: reading snapshots... */
export const DR_SNAPSHOT_READ_ACTIONS = ['rds:DescribeDBClusterSnapshots', 'rds:DescribeDBSnapshots'];
/** ... and, dr-act only, restoring into the listed targets (and DR_NEW_INSTANCE_ACTIONS). */
export const DR_RESTORE_ACTIONS = [
  'rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime', 'rds:RestoreDBInstanceFromDBSnapshot',
  'rds:CreateDBInstance', 'rds:AddTagsToResource',
];

/** The lists beside DrGlobalClusters and DrInstances that widen a DR role. */
export interface MoreDrLists {
  replicationGroups?: boolean;
  replicaClusters?: boolean;
  restoreTargets?: boolean;
}

/**
 * The actions each role may use with DrGlobalClusters set, with DrInstances set, and with
 * DrGlobalReplicationGroups / DrReplicaClusters set.
 */
export function expectedActions(key: RoleKey, withGlobalClusters: boolean, withInstances = false,
  more: MoreDrLists = {}): string[] {
  const actions = [...EXPECTED_ACTIONS[key]];
  if (key === 'drCheck' && more.replicationGroups) {
    actions.push(...DR_ELASTICACHE_READ_ACTIONS);
  }
  if (key === 'drCheck' && more.restoreTargets) {
    actions.push(...DR_SNAPSHOT_READ_ACTIONS);
  }
  if (key !== 'drAct') {
    return actions.sort();
  }
  if (more.restoreTargets) {
    actions.push(...DR_SNAPSHOT_READ_ACTIONS, ...DR_RESTORE_ACTIONS);
  }
  if (more.replicationGroups) {
    actions.push(...DR_ELASTICACHE_READ_ACTIONS, ...DR_ELASTICACHE_FAILOVER_ACTIONS);
  }
  if (more.replicaClusters) {
    actions.push(...DR_PROMOTE_CLUSTER_ACTIONS);
  }
  if (withGlobalClusters) {
    actions.push(...DR_SWITCH_ACTIONS, ...DR_SECONDARY_ACTIONS);
  }
  if (withInstances) {
    actions.push(...DR_PROMOTE_ACTIONS, ...DR_REPLICA_ACTIONS);
  }
  if (withGlobalClusters || withInstances || more.restoreTargets) {
    actions.push(...DR_NEW_INSTANCE_ACTIONS);
  }
  return [...new Set(actions)].sort();
}

/** The only actions allowed on Resource "*": they have no resource-level permissions. */
export const WILDCARD_RESOURCE_ACTIONS = new Set([
  'rds:DescribeOrderableDBInstanceOptions',
  'cloudformation:ListExports',
  ...METRIC_READ_ACTIONS,
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

const READ_METRICS = allow(METRIC_READ_ACTIONS, '*');
/** Any ElastiCache global datastore of this account (their ARNs have no region). */
export const GLOBAL_DATASTORES_OF_THIS_ACCOUNT = 'arn:${AWS::Partition}:elasticache::${AWS::AccountId}:globalreplicationgroup:*';
const READ_GLOBAL_DATASTORES = allow(DR_ELASTICACHE_READ_ACTIONS, GLOBAL_DATASTORES_OF_THIS_ACCOUNT);

/** An RDS resource type of this account and region, any name (as rdsHere below). */
const rdsOfThisRegion = (type: string) => `arn:\${AWS::Partition}:rds:\${AWS::Region}:\${AWS::AccountId}:${type}:*`;
/** Reading snapshots of this account and region (dr-check and dr-act with DrRestoreTargets, the readiness function). */
const READ_SNAPSHOTS = [
  ...['cluster', 'cluster-snapshot'].flatMap((type) => allow(['rds:DescribeDBClusterSnapshots'], rdsOfThisRegion(type))),
  ...['db', 'snapshot'].flatMap((type) => allow(['rds:DescribeDBSnapshots'], rdsOfThisRegion(type))),
];

/**
 * dr-check's permissions: reads only; the ElastiCache read only with DrGlobalReplicationGroups,
 * the snapshot reads only with DrRestoreTargets.
 */
export function drCheckPermissions(withReplicationGroups = false, withRestoreTargets = false): string[] {
  return [...OWN_LOGS_AND_TRACES, ...READ_GLOBAL_DATABASES, ...READ_METRICS,
    ...(withReplicationGroups ? READ_GLOBAL_DATASTORES : []), ...(withRestoreTargets ? READ_SNAPSHOTS : [])].sort();
}

export const DR_CHECK_PERMISSIONS = drCheckPermissions();

/**
 * The condition that takes dr-act's `arn:*:rds:*:*:db:<id>` back to the stack's region, and
 * keeps CreateDBCluster on `arn:*:rds::*:global-cluster:<id>` (no region) to it.
 */
export const IN_THIS_REGION = { StringEquals: { 'aws:RequestedRegion': '${AWS::Region}' } };

/** How dr-act's role names a listed global datastore (no region: see globalReplicationGroupArnPattern). */
export const listedGlobalDatastore = (id: string) => `arn:*:elasticache::*:globalreplicationgroup:${id}`;
/** How dr-act's role names a listed Aurora replica cluster (see dbClusterArnPattern). */
export const listedCluster = (id: string) => `arn:*:rds:*:*:cluster:${id}`;

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
export function drActPermissions(globalClusters: string[], instances: string[] = [], replicationGroups: string[] = [],
  replicaClusters: string[] = [], restoreTargets: string[] = []): string[] {
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
  const newInstance = globalClusters.length === 0 && instances.length === 0 && restoreTargets.length === 0 ? [] : [
    ...allow(['kms:CreateGrant', 'kms:DescribeKey'], KEYS_HERE, THROUGH_RDS_HERE),
    ...allow(['iam:PassRole'], ROLES_OF_THIS_ACCOUNT, TO_ENHANCED_MONITORING),
  ];
  // The global datastores: read any of this account, fail over only the listed ones, from this region.
  const elastiCache = replicationGroups.length === 0 ? [] : [
    ...READ_GLOBAL_DATASTORES,
    ...replicationGroups.flatMap((id) => allow(DR_ELASTICACHE_FAILOVER_ACTIONS, listedGlobalDatastore(id), IN_THIS_REGION)),
  ];
  const promotingClusters = replicaClusters.flatMap((id) => allow(DR_PROMOTE_CLUSTER_ACTIONS, listedCluster(id), IN_THIS_REGION));
  const restoring = restoreTargets.length === 0 ? [] : [...READ_SNAPSHOTS, ...drRestoreStatements(restoreTargets).flatMap(
    (statement) => statement.Action.flatMap((action) => statement.Resource.flatMap((resource) => allow([action], resource, statement.Condition))))];
  return [...new Set([...OWN_LOGS_AND_TRACES, ...READ_GLOBAL_DATABASES, ...switching, ...secondary, ...promoting, ...replicating,
    ...newInstance, ...elastiCache, ...promotingClusters, ...restoring])].sort();
}

/** The tag a point-in-time restore's source cluster must carry (it is a protected cluster). */
export const PROTECTED_ONLY = { StringEqualsIgnoreCase: { 'aws:ResourceTag/aurora-failback:backup': 'true' } };
/** Tagging only in requests that set the restore tag, in the stack's region (keys sorted, as normaliseIntrinsics writes them). */
export const RESTORE_TAG_HERE = { Null: { 'aws:RequestTag/aurora-failback:restore': 'false' }, ...IN_THIS_REGION };

/**
 * dr-act's restore statements (DrRestoreTargets), exactly and in order, after the snapshot
 * reads and last among its statements: the listed new clusters and instances in this region,
 * the snapshots of this region, the point-in-time source (a protected cluster), the groups,
 * the restored clusters' Aurora instances, and the restore tag on the listed clusters and on new instances.
 */
export function drRestoreStatements(targets: string[]): StatementShape[] {
  if (targets.length === 0) {
    return [];
  }
  return [
    {
      Sid: 'RestoreIntoConfiguredClustersInThisRegionOnly',
      Action: ['rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime', 'rds:CreateDBInstance'],
      Resource: targets.map(listedCluster),
      Condition: IN_THIS_REGION,
    },
    {
      Sid: 'RestoreIntoConfiguredInstancesInThisRegionOnly',
      Action: ['rds:RestoreDBInstanceFromDBSnapshot'],
      Resource: targets.map(listedInstance),
      Condition: IN_THIS_REGION,
    },
    { Sid: 'RestoreClustersFromSnapshotsInThisRegion', Action: ['rds:RestoreDBClusterFromSnapshot'], Resource: [rdsHere('cluster-snapshot')] },
    { Sid: 'RestoreInstancesFromSnapshotsInThisRegion', Action: ['rds:RestoreDBInstanceFromDBSnapshot'], Resource: [rdsHere('snapshot')] },
    {
      Sid: 'RestoreToPointInTimeOfProtectedClustersOnly',
      Action: ['rds:RestoreDBClusterToPointInTime'],
      Resource: [rdsHere('cluster')],
      Condition: PROTECTED_ONLY,
    },
    {
      Sid: 'RestoreClustersWithGroupsInThisRegion',
      Action: ['rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime'],
      Resource: ['subgrp', 'cluster-pg', 'og'].map(rdsHere),
    },
    {
      Sid: 'RestoreInstancesWithGroupsInThisRegion',
      Action: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:CreateDBInstance'],
      Resource: ['subgrp', 'pg', 'og'].map(rdsHere),
    },
    {
      Sid: 'CreateAuroraInstancesInThisRegionOnly',
      Action: ['rds:CreateDBInstance'],
      Resource: [rdsHere('db')],
      Condition: { StringLike: { 'rds:DatabaseEngine': 'aurora*' } },
    },
    { Sid: 'TagRestoredClustersAtCreationOnly', Action: ['rds:AddTagsToResource'], Resource: targets.map(listedCluster), Condition: RESTORE_TAG_HERE },
    {
      Sid: 'TagRestoredInstancesAtCreationOnly',
      Action: ['rds:AddTagsToResource'],
      Resource: [rdsHere('db')],
      Condition: { Null: RESTORE_TAG_HERE.Null },
    },
  ];
}

/** The snapshot reads dr-check and dr-act hold with DrRestoreTargets, exactly and in order. */
export const SNAPSHOT_READ_STATEMENTS: StatementShape[] = [
  { Sid: 'ReadClusterSnapshots', Action: ['rds:DescribeDBClusterSnapshots'], Resource: ['cluster', 'cluster-snapshot'].map(rdsOfThisRegion) },
  { Sid: 'ReadInstanceSnapshots', Action: ['rds:DescribeDBSnapshots'], Resource: ['db', 'snapshot'].map(rdsOfThisRegion) },
];

/**
 * What create-reader does to an instance that already exists, and no other role may: the
 * planned scale-up's resize (method "modify") and the clean-up of the reader its run
 * abandoned (CleanUpReader).
 */
export const READER_INSTANCE_ACTIONS = ['rds:ModifyDBInstance', 'rds:DeleteDBInstance'];

/**
 * create-reader's statements for READER_INSTANCE_ACTIONS, exactly and in order, whatever
 * AllowUntaggedManualRuns says. ModifyDBInstance: any instance of this account and region,
 * with no condition (the Service Authorization Reference gives it the db resource alone and
 * no cluster tag key, so IAM cannot tie the instance to an opted-in cluster; the function
 * checks the cluster's opt-in before it calls). DeleteDBInstance: only instances carrying a
 * run tag, in this account and region.
 */
export const READER_INSTANCE_STATEMENTS: StatementShape[] = [
  { Sid: 'ModifyInstanceClassAnyInstanceHere', Action: ['rds:ModifyDBInstance'], Resource: [rdsOfThisRegion('db')] },
  {
    Sid: 'DeleteOnlyInstancesCarryingRunTag',
    Action: ['rds:DeleteDBInstance'],
    Resource: [rdsOfThisRegion('db')],
    Condition: { Null: { 'aws:ResourceTag/aurora-failback:run': 'false' } },
  },
];

/**
 * dr-act's statements for the ElastiCache global datastores and the Aurora replica clusters,
 * exactly and in order (after every other statement of dr-act's): the read and the failover
 * with global datastores, the promotion with replica clusters; none at all with neither.
 */
export function drListedStatements(replicationGroups: string[], replicaClusters: string[]): StatementShape[] {
  const elastiCache: StatementShape[] = replicationGroups.length === 0 ? [] : [
    { Sid: 'ReadGlobalReplicationGroups', Action: DR_ELASTICACHE_READ_ACTIONS, Resource: [GLOBAL_DATASTORES_OF_THIS_ACCOUNT] },
    {
      Sid: 'FailOverConfiguredGlobalReplicationGroupsOnly',
      Action: DR_ELASTICACHE_FAILOVER_ACTIONS,
      Resource: replicationGroups.map(listedGlobalDatastore),
      Condition: IN_THIS_REGION,
    },
  ];
  const clusters: StatementShape[] = replicaClusters.length === 0 ? [] : [
    {
      Sid: 'PromoteConfiguredReplicaClustersInThisRegionOnly',
      Action: DR_PROMOTE_CLUSTER_ACTIONS,
      Resource: replicaClusters.map(listedCluster),
      Condition: IN_THIS_REGION,
    },
  ];
  return [...elastiCache, ...clusters];
}

/** Every action of drListedStatements. */
export const DR_LISTED_ACTIONS = [...DR_ELASTICACHE_READ_ACTIONS, ...DR_ELASTICACHE_FAILOVER_ACTIONS, ...DR_PROMOTE_CLUSTER_ACTIONS];

// --- Readiness on a schedule (only with DrReadinessPayloadParameter).

/** The readiness function's actions: reads only. */
export const READINESS_ACTIONS = [
  'logs:CreateLogStream', 'logs:PutLogEvents',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
  'cloudformation:ListExports', 'ssm:GetParameters', 'kms:Decrypt',
  'rds:DescribeGlobalClusters', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances',
  ...DR_ELASTICACHE_READ_ACTIONS, ...DR_SNAPSHOT_READ_ACTIONS, ...METRIC_READ_ACTIONS,
].sort();

/** The readiness function's permissions, for a payload parameter and a parameter path prefix. */
export function readinessPermissions(payloadParameter: string, prefix: string): string[] {
  const parameters = [payloadParameter, `${prefix}*`]
    .map((name) => `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`);
  return [
    ...OWN_LOGS_AND_TRACES,
    ...allow(['cloudformation:ListExports'], '*'),
    ...parameters.flatMap((parameter) => allow(['ssm:GetParameters'], parameter)),
    ...allow(['kms:Decrypt'], 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*',
      { StringEquals: { 'kms:ViaService': 'ssm.${AWS::Region}.amazonaws.com' } }),
    ...READ_GLOBAL_DATABASES,
    ...READ_GLOBAL_DATASTORES,
    ...READ_SNAPSHOTS,
    ...READ_METRICS,
  ].sort();
}

/** The schedule's role: it invokes the readiness function (its own log group's `${GetAtt.Arn}`) and nothing else. */
export const READINESS_SCHEDULE_PERMISSIONS = allow(['lambda:InvokeFunction'], '${GetAtt.Arn}');

// --- The cold standby (only with BackupCopyVaultArn).

/** The RPO watch's actions: reads only. */
export const BACKUP_WATCH_ACTIONS = [
  'logs:CreateLogStream', 'logs:PutLogEvents',
  'xray:PutTraceSegments', 'xray:PutTelemetryRecords',
  'rds:DescribeDBClusters', 'rds:DescribeDBInstances', ...DR_SNAPSHOT_READ_ACTIONS,
].sort();

/**
 * The RPO watch's permissions: the clusters and instances of this region, the snapshots (and the
 * clusters and instances they filter by) of the copy's region only.
 */
export function backupWatchPermissions(copyRegion: string): string[] {
  const there = (type: string) => `arn:\${AWS::Partition}:rds:${copyRegion}:\${AWS::AccountId}:${type}:*`;
  return [
    ...OWN_LOGS_AND_TRACES,
    ...allow(['rds:DescribeDBClusters'], CLUSTERS_HERE),
    ...allow(['rds:DescribeDBInstances'], 'arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:*'),
    ...['cluster', 'cluster-snapshot'].flatMap((type) => allow(['rds:DescribeDBClusterSnapshots'], there(type))),
    ...['db', 'snapshot'].flatMap((type) => allow(['rds:DescribeDBSnapshots'], there(type))),
  ].sort();
}

/** The RPO watch's schedule role: it invokes that function and nothing else. */
export const BACKUP_WATCH_SCHEDULE_PERMISSIONS = allow(['lambda:InvokeFunction'], '${GetAtt.Arn}');

/** AWS Backup's role: the AWS managed policy for backups, and nothing else. */
export const BACKUP_SERVICE_POLICY_ARN = 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup';

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
export function drCreationStatements(globalClusters: string[], instances: string[], restoreTargets: string[] = []): StatementShape[] {
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
  const newInstance: StatementShape[] = globalClusters.length === 0 && instances.length === 0 && restoreTargets.length === 0 ? [] : [
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
  // The restore statements that create an instance (a restored cluster's writer and readers).
  const restored = drRestoreStatements(restoreTargets).filter((s) => s.Action.some((a) => DR_CREATION_ACTIONS.includes(a)));
  return [...secondary, ...replica, ...newInstance, ...restored];
}
