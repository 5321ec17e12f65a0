import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, CfnResource, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { RustFunction } from 'cargo-lambda-cdk';
import { Construct } from 'constructs';

/** The Lambda binaries of the Cargo workspace, by the key the construct uses for them. */
export const FUNCTION_BINARIES = {
  describeWriter: 'describe-writer',
  createReader: 'create-reader',
  checkStatus: 'check-status',
  failover: 'failover',
  recordRun: 'record-run',
  drValidate: 'dr-validate',
  drCheck: 'dr-check',
  drAct: 'dr-act',
} as const;

export type FunctionKey = keyof typeof FUNCTION_BINARIES;

/**
 * The readiness function's binary: deployed only with `drReadinessPayloadParameter` (the SAM
 * condition HasDrReadiness), so it is not one of FUNCTION_BINARIES, which are always there.
 */
export const DR_READINESS_BINARY = 'dr-readiness';
/**
 * The RPO watch's binary: deployed only with `backupCopyVaultArn` (the SAM condition HasBackup),
 * so it is not one of FUNCTION_BINARIES either.
 */
export const BACKUP_WATCH_BINARY = 'backup-watch';
/** Every Lambda function the construct may create: the eight always, the readiness function and the RPO watch. */
export type LambdaKey = FunctionKey | 'drReadiness' | 'backupWatch';

/** The five functions the failback state machine invokes. */
export const FAILBACK_FUNCTIONS = ['describeWriter', 'createReader', 'checkStatus', 'failover', 'recordRun'] as const;
export type FailbackFunctionKey = (typeof FAILBACK_FUNCTIONS)[number];

/** The four functions the DR state machine invokes (record-run is shared). */
export const DR_FUNCTIONS = ['drValidate', 'drCheck', 'drAct', 'recordRun'] as const;
export type DrFunctionKey = (typeof DR_FUNCTIONS)[number];

/** statemachine/failback.asl.json's DefinitionSubstitutions placeholders, by function. */
export const DEFINITION_SUBSTITUTIONS: Record<FailbackFunctionKey, string> = {
  describeWriter: 'DescribeWriterFunctionArn',
  createReader: 'CreateReaderFunctionArn',
  checkStatus: 'CheckStatusFunctionArn',
  failover: 'FailoverFunctionArn',
  recordRun: 'RecordRunFunctionArn',
};

/** statemachine/dr.asl.json's DefinitionSubstitutions placeholders, by function. */
export const DR_DEFINITION_SUBSTITUTIONS: Record<DrFunctionKey, string> = {
  drValidate: 'DrValidateFunctionArn',
  drCheck: 'DrCheckFunctionArn',
  drAct: 'DrActFunctionArn',
  recordRun: 'RecordRunFunctionArn',
};

/**
 * statemachine/dr.asl.json's placeholder for the failback state machine's ARN: the capacity
 * hand-off (a Task `arn:aws:states:::states:startExecution`, without .sync) starts a run of it.
 */
export const FAILBACK_STATE_MACHINE_SUBSTITUTION = 'FailbackStateMachineArn';

/** The failover events that start a run (Aurora cluster events, category failover). */
export const FAILOVER_EVENT_IDS = ['RDS-EVENT-0071', 'RDS-EVENT-0072', 'RDS-EVENT-0073'];

/** What the state machine publishes when a run ends. */
export const RUN_FINISHED_SOURCE = 'aurora-failback';
export const RUN_FINISHED_DETAIL_TYPE = 'Aurora Failback Run Finished';
/** What the DR state machine publishes when a DR run ends (same source). */
export const DR_RUN_FINISHED_DETAIL_TYPE = 'Aurora Failback DR Run Finished';

/** Default of `drParameterPathPrefix` (the SAM parameter DrParameterPathPrefix). */
export const DEFAULT_DR_PARAMETER_PATH_PREFIX = '/aurora-failback/dr/';
/** An SSM parameter path that starts and ends with "/" (as the SAM parameter's AllowedPattern). */
export const DR_PARAMETER_PATH_PREFIX_PATTERN = /^(\/[a-zA-Z0-9_.-]+)+\/$/;
/** An RDS global cluster identifier (as the SAM parameter DrGlobalClusters' AllowedPattern). */
export const GLOBAL_CLUSTER_ID_PATTERN = /^[a-zA-Z](-?[a-zA-Z0-9])*$/;
/**
 * How dr-act's role names a global cluster: `arn:*:rds::*:global-cluster:<id>`. The SAM
 * template cannot write ${AWS::Partition} and ${AWS::AccountId} into each item of a list
 * parameter (Fn::Join's delimiter must be a literal), so both templates use wildcards
 * there; they widen nothing (a role acts only in its own partition, and RDS has no
 * resource-based policies, so only its own account's global clusters are reachable).
 */
export function globalClusterArnPattern(globalClusterId: string): string {
  return `arn:*:rds::*:global-cluster:${globalClusterId}`;
}

/**
 * An RDS DB instance identifier (as the SAM parameter DrInstances' AllowedPattern): the
 * same rules as a global cluster identifier.
 */
export const DB_INSTANCE_ID_PATTERN = GLOBAL_CLUSTER_ID_PATTERN;
/**
 * How dr-act's role names a DB instance it may promote, or make a read replica of or as:
 * `arn:*:rds:*:*:db:<id>`, for the same reason as globalClusterArnPattern (the SAM template
 * cannot write ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId} into each item of a
 * list parameter). The partition and account wildcards widen nothing. For the promotion the
 * region wildcard is taken back to the stack's region by the statement's
 * `aws:RequestedRegion` condition (a call on an instance is sent to the instance's region);
 * for CreateDBInstanceReadReplica it must stay, unconditioned: the source instance is in
 * another region and is authorised by its own ARN, in its own region.
 */
export function dbInstanceArnPattern(dbInstanceId: string): string {
  return `arn:*:rds:*:*:db:${dbInstanceId}`;
}

/**
 * An ElastiCache global datastore identifier (as the SAM parameter DrGlobalReplicationGroups'
 * AllowedPattern): the prefix ElastiCache gives it, a hyphen and the suffix, such as
 * `ldgnf-sessions`; the same rules as a global cluster identifier.
 */
export const GLOBAL_REPLICATION_GROUP_ID_PATTERN = GLOBAL_CLUSTER_ID_PATTERN;
/**
 * How dr-act's role names a global datastore it may fail over:
 * `arn:*:elasticache::*:globalreplicationgroup:<id>` (no region: a global datastore's ARN has
 * none), for the same reason as globalClusterArnPattern. The statement's
 * `aws:RequestedRegion` condition keeps the call to the stack's region.
 */
export function globalReplicationGroupArnPattern(globalReplicationGroupId: string): string {
  return `arn:*:elasticache::*:globalreplicationgroup:${globalReplicationGroupId}`;
}

/** An Aurora DB cluster identifier (as the SAM parameter DrReplicaClusters' AllowedPattern). */
export const DB_CLUSTER_ID_PATTERN = GLOBAL_CLUSTER_ID_PATTERN;
/**
 * How dr-act's role names an Aurora replica cluster it may promote: `arn:*:rds:*:*:cluster:<id>`,
 * as dbInstanceArnPattern; the statement's `aws:RequestedRegion` condition takes the region
 * wildcard back to the stack's region.
 */
export function dbClusterArnPattern(dbClusterId: string): string {
  return `arn:*:rds:*:*:cluster:${dbClusterId}`;
}

/** A full SSM parameter name from "/" (as the SAM parameter DrReadinessPayloadParameter's AllowedPattern). */
export const SSM_PARAMETER_NAME_PATTERN = /^(\/[a-zA-Z0-9_.-]+)+$/;
/** How often the readiness check may run, in minutes (the SAM parameter DrReadinessMinutes' AllowedValues). */
export const DR_READINESS_MINUTES = [5, 10, 15, 30, 60] as const;
/** What the readiness function publishes (EMF), and the readiness alarm watches. */
export const READINESS_NAMESPACE = 'AuroraFailback';
export const READINESS_METRIC = 'ResourcesNotReady';
export const READINESS_DIMENSION = 'Payload';

/** The cluster tag that opts a cluster in, and the tag every created instance carries. */
export const TAG_ENABLED = 'aurora-failback:enabled';
export const TAG_RUN = 'aurora-failback:run';
/** The tag (value `true`) that makes a cluster or instance protected: backed up and copied by AWS Backup. */
export const TAG_BACKUP = 'aurora-failback:backup';
/** The tag a restore gives the cluster or instance it creates (value: the DR resource key). */
export const TAG_RESTORE = 'aurora-failback:restore';

/**
 * A backup vault's ARN (as the SAM parameter BackupCopyVaultArn's AllowedPattern):
 * arn:<partition>:backup:<region>:<account>:backup-vault:<name>.
 */
export const BACKUP_VAULT_ARN_PATTERN = /^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:[a-zA-Z0-9_-]{2,50}$/;
/** An AWS Backup cron expression (as the SAM parameter BackupSchedule's AllowedPattern). */
export const BACKUP_SCHEDULE_PATTERN = /^cron\([^()]+\)$/;
/** Every 2 hours, as the seed does (the SAM parameter BackupSchedule's default). */
export const DEFAULT_BACKUP_SCHEDULE = 'cron(0 */2 * * ? *)';
/** The backup rule's windows: a backup starts within an hour, and completes within three. */
export const BACKUP_START_WINDOW_MINUTES = 60;
export const BACKUP_COMPLETION_WINDOW_MINUTES = 180;
/** How often the RPO watch runs, in minutes (also its alarm's period). */
export const BACKUP_WATCH_MINUTES = 15;
/** What the RPO watch publishes (EMF), and its alarm watches (the first, without dimensions). */
export const BACKUP_RPO_METRIC = 'CopiesOutsideRpo';
export const COPY_AGE_METRIC = 'NewestCopyAgeSeconds';
export const COPY_AGE_DIMENSION = 'ResourceId';
/** The AWS managed policy AWS Backup's role holds: the only managed policy of the construct. */
export const BACKUP_SERVICE_POLICY = 'service-role/AWSBackupServiceRolePolicyForBackup';
/** The region of a backup vault's ARN (its fourth field), as the SAM template's Fn::Select. */
export function vaultRegion(vaultArn: string): string {
  return vaultArn.split(':')[3];
}

export interface AuroraFailbackProps {
  /**
   * Every run only plans (and publishes what it would do), whatever its input says.
   * @default false
   */
  readonly dryRunOnly?: boolean;

  /**
   * The functions' processor architecture; cargo-lambda builds for it.
   * @default 'arm64'
   */
  readonly architecture?: 'arm64' | 'x86_64';

  /**
   * How long a run waits after creating a reader (or changing one's class) before its first
   * check that it is available; the checks after it are 15 s apart.
   * @default 540
   */
  readonly newReaderWaitSeconds?: number;

  /**
   * How many times a run checks, 15 s apart, whether the reader it waits for is available.
   * @default 60
   */
  readonly readerCheckBudget?: number;

  /**
   * How many times a run checks, 5 s apart (the first 20 s after the failover), whether the
   * writer moved.
   * @default 60
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
   * Retention of the functions' and the state machines' log groups.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The Aurora global databases (global cluster identifiers) that DR runs may switch over
   * or fail over to a cluster in this stack's region, or add a secondary cluster in this
   * region to (failback preparation, CreateAuroraSecondaryDBCluster). Empty: the DR state
   * machine and its functions are deployed (they validate, plan and dry-run payloads), but
   * dr-act's role holds no SwitchoverGlobalCluster / FailoverGlobalCluster and nothing to
   * create a secondary (CreateDBCluster, CreateDBInstance) at all; the key grant and
   * PassRole a new instance needs are there only if `drInstances` is set.
   * @default [] - dr-act may switch nothing and create no secondary
   */
  readonly drGlobalClusters?: string[];

  /**
   * The RDS DB instances (identifiers) that DR runs may promote from read replica to
   * standalone instance in this stack's region (PromoteRDSReadReplica, the pilot light), or
   * make a cross-region read replica of or as (CreateRDSReadReplica, failback preparation:
   * the new replica in this region, its source in the other). Empty: dr-act's role holds no
   * PromoteReadReplica and no CreateDBInstanceReadReplica at all (and, unless
   * `drGlobalClusters` is set, no key grant or PassRole either).
   * @default [] - dr-act may promote nothing and create no read replica
   */
  readonly drInstances?: string[];

  /**
   * The ElastiCache global datastores (full GlobalReplicationGroupId, with the prefix
   * ElastiCache gave it) that DR runs may fail over to their member in this stack's region
   * (FailoverElastiCacheCluster). Empty: neither dr-check nor dr-act holds any ElastiCache
   * permission.
   * @default [] - no ElastiCache permission at all
   */
  readonly drGlobalReplicationGroups?: string[];

  /**
   * The Aurora DB clusters of this stack's region that replicate a cluster in another region
   * as cross-region read replicas, and that DR runs may promote to standalone clusters
   * (PromoteAuroraReadReplicaCluster). Empty: dr-act's role holds no
   * PromoteReadReplicaDBCluster.
   * @default [] - dr-act may promote no cluster
   */
  readonly drReplicaClusters?: string[];

  /**
   * The SSM parameter path (starting and ending with "/") under which the DR payloads'
   * `resolve:ssm` references live; dr-validate may read and decrypt only parameters under it.
   * Passed to dr-validate as DR_PARAMETER_PATH_PREFIX: it refuses references outside the
   * path as InvalidInput before any lookup (naming the path instead of an AccessDenied).
   * @default '/aurora-failback/dr/'
   */
  readonly drParameterPathPrefix?: string;

  /**
   * How many times a DR run checks whether a resource reached its target (1 to 600): the
   * first check after about as long as AWS says the call usually takes (dr-act says: 60 s
   * for a switchover or failover, 180 s for a promotion, 300 s for a new instance), the
   * others 15 s apart. At most 600 (2 h 30 min), so the wait ends, and ResourceWaitExhausted
   * is recorded, inside the DR state machine's four-hour time-out.
   * @default 120 (30 minutes of checks)
   */
  readonly resourceCheckBudget?: number;

  /**
   * The name (from "/") of an SSM parameter holding a DR payload (JSON) whose readiness is
   * checked on a schedule by the dr-readiness function; an alarm notifies the topic when
   * `drReadinessAlarmChecks` checks in a row find it not ready, or find no check at all.
   * @default - no readiness function, schedule or alarm
   */
  readonly drReadinessPayloadParameter?: string;

  /**
   * How often the readiness check runs, in minutes: 5, 10, 15, 30 or 60 (the alarm's period).
   * @default 15
   */
  readonly drReadinessMinutes?: number;

  /**
   * How many readiness checks in a row must find the payload not ready (or be missing)
   * before the alarm notifies (1 to 24).
   * @default 3
   */
  readonly drReadinessAlarmChecks?: number;

  /**
   * The largest replica lag, in seconds, at which the readiness check still counts a
   * replicating resource as ready (1 to 86400); passed as DR_READINESS_MAX_LAG_SECONDS.
   * @default 60
   */
  readonly drReadinessMaxLagSeconds?: number;

  /**
   * The DB clusters and DB instances (identifiers) that DR runs may create in this stack's
   * region by restoring: a cluster from a snapshot (RestoreAuroraClusterFromSnapshot) or to a
   * point in time (RestoreAuroraClusterToPointInTime), with its writer and readers, or an
   * instance from a snapshot (RestoreRDSInstanceFromSnapshot). A point-in-time restore's source
   * must be a protected cluster (tagged `aurora-failback:backup=true`). Empty: dr-act's role
   * holds no restore and no snapshot read, and dr-check's no snapshot read.
   * @default [] - dr-act may restore nothing
   */
  readonly drRestoreTargets?: string[];

  /**
   * The ARN of the backup vault in the DR region that receives the copies (the VaultArn output
   * of BackupDestinationStack or infra/backup-destination.yaml, deployed there first). Set: an
   * AWS Backup plan backs up the clusters and instances of this region tagged
   * `aurora-failback:backup=true` on `backupSchedule` into a vault here (encrypted with the
   * stack's key) and copies each backup to this vault; the backup-watch function checks every
   * 15 minutes that each of them has a copy there newer than `backupRpoMinutes`, with an alarm.
   * @default - no backup plan, vault or RPO watch
   */
  readonly backupCopyVaultArn?: string;

  /**
   * When AWS Backup backs up the protected clusters and instances (a cron expression, UTC).
   * @default 'cron(0 *\/2 * * ? *)' (every 2 hours)
   */
  readonly backupSchedule?: string;

  /**
   * How many days a backup is kept in this region's vault (1 to 3650).
   * @default 7
   */
  readonly backupRetentionDays?: number;

  /**
   * How many days a copy is kept in the DR region's vault (1 to 3650).
   * @default 14
   */
  readonly backupCopyRetentionDays?: number;

  /**
   * The recovery point objective in minutes (60 to 10080): the RPO alarm notifies when a
   * protected cluster or instance has had no copy in the DR region newer than this in two
   * checks in a row. Passed to backup-watch as BACKUP_RPO_MINUTES.
   * @default 180
   */
  readonly backupRpoMinutes?: number;

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
   * The DR state machine definition (ASL, JSONPath) with its four `${...FunctionArn}`
   * placeholders, `${FailbackStateMachineArn}` and `${ResourceCheckBudget}`.
   * @default - statemachine/dr.asl.json at the root of the repository
   */
  readonly drDefinitionPath?: string;

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
 * too with `allowUntaggedManualRuns`). A second workflow runs cross-region DR payloads
 * (switchover or failover of the global databases in `drGlobalClusters`, or a new
 * secondary cluster here for one of them; promotion of the read replicas in
 * `drInstances`, or a new read replica here of or as one of them; failover of the ElastiCache
 * global datastores in `drGlobalReplicationGroups`; promotion of the Aurora replica clusters
 * in `drReplicaClusters`; restores into the clusters and instances in `drRestoreTargets`) from this
 * region, and, with `drReadinessPayloadParameter`, checks a stored DR payload's readiness on a
 * schedule with an alarm. With `backupCopyVaultArn`, AWS Backup copies the clusters and instances
 * tagged `aurora-failback:backup=true` to a vault in the DR region on a schedule, and the
 * backup-watch function alarms when a copy is older than `backupRpoMinutes`. Same resources and
 * roles as infra/template.yaml.
 */
export class AuroraFailback extends Construct {
  public readonly key: kms.Key;
  public readonly ledgerTable: dynamodb.Table;
  public readonly deadLetterQueue: sqs.Queue;
  public readonly notificationTopic: sns.Topic;
  public readonly functions: Record<FunctionKey, RustFunction>;
  public readonly roles: Record<FunctionKey | 'stateMachine' | 'drStateMachine' | 'startRuns', iam.Role>
    & Partial<Record<'drReadiness' | 'drReadinessSchedule' | 'backupWatch' | 'backupWatchSchedule' | 'backup', iam.Role>>;
  /** The readiness function, its schedule and its alarm: only with `drReadinessPayloadParameter`. */
  public readonly readinessFunction?: RustFunction;
  public readonly readinessSchedule?: scheduler.CfnSchedule;
  public readonly readinessAlarm?: cloudwatch.Alarm;
  /**
   * The cold standby: AWS Backup's vault here, plan, selection (and role, `roles.backup`), and
   * the RPO watch, its schedule and its alarm; only with `backupCopyVaultArn`.
   */
  public readonly backupVault?: backup.CfnBackupVault;
  public readonly backupPlan?: backup.CfnBackupPlan;
  public readonly backupSelection?: backup.CfnBackupSelection;
  public readonly backupWatchFunction?: RustFunction;
  public readonly backupWatchSchedule?: scheduler.CfnSchedule;
  public readonly backupWatchAlarm?: cloudwatch.Alarm;
  public readonly stateMachine: sfn.StateMachine;
  public readonly drStateMachine: sfn.StateMachine;
  public readonly failoverEventRule: events.Rule;
  public readonly executionEndedRule: events.Rule;
  public readonly runFinishedNotifyRule: events.Rule;
  public readonly drRunFinishedNotifyRule: events.Rule;
  public readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: AuroraFailbackProps = {}) {
    super(scope, id);

    const stack = Stack.of(this);
    const root = props.manifestPath && props.definitionPath && props.drDefinitionPath ? undefined : findWorkspaceRoot(__dirname);
    const manifestPath = props.manifestPath ?? path.join(requireRoot(root), 'Cargo.toml');
    const architecture = props.architecture ?? 'arm64';
    if (architecture !== 'arm64' && architecture !== 'x86_64') {
      throw new Error(`architecture must be 'arm64' or 'x86_64', not ${JSON.stringify(architecture)}`);
    }
    const definitionPath = props.definitionPath ?? path.join(requireRoot(root), 'statemachine', 'failback.asl.json');
    const drDefinitionPath = props.drDefinitionPath ?? path.join(requireRoot(root), 'statemachine', 'dr.asl.json');
    const prefix = props.namePrefix ?? stack.stackName;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const rdsArn = (type: string) => `arn:${stack.partition}:rds:${stack.region}:${stack.account}:${type}:*`;
    const maxEventAgeSeconds = wholeNumber(props.maxEventAgeSeconds ?? 1800, 60, 86400, 'maxEventAgeSeconds');
    const allowUntagged = props.allowUntaggedManualRuns ?? false;
    const drGlobalClusters = globalClusterIds(props.drGlobalClusters ?? []);
    const drInstances = dbInstanceIds(props.drInstances ?? []);
    const drParameterPathPrefix = parameterPathPrefix(props.drParameterPathPrefix ?? DEFAULT_DR_PARAMETER_PATH_PREFIX);
    const resourceCheckBudget = wholeNumber(props.resourceCheckBudget ?? 120, 1, 600, 'resourceCheckBudget');
    const drGlobalReplicationGroups = identifiers(props.drGlobalReplicationGroups ?? [], GLOBAL_REPLICATION_GROUP_ID_PATTERN,
      'drGlobalReplicationGroups', 'an ElastiCache global datastore identifier');
    const drReplicaClusters = identifiers(props.drReplicaClusters ?? [], DB_CLUSTER_ID_PATTERN, 'drReplicaClusters',
      'a DB cluster identifier');
    const readinessParameter = payloadParameterName(props.drReadinessPayloadParameter);
    const readinessMinutes = allowedValue(props.drReadinessMinutes ?? 15, DR_READINESS_MINUTES, 'drReadinessMinutes');
    const readinessAlarmChecks = wholeNumber(props.drReadinessAlarmChecks ?? 3, 1, 24, 'drReadinessAlarmChecks');
    const readinessMaxLagSeconds = wholeNumber(props.drReadinessMaxLagSeconds ?? 60, 1, 86400, 'drReadinessMaxLagSeconds');
    const drRestoreTargets = identifiers(props.drRestoreTargets ?? [], DB_CLUSTER_ID_PATTERN, 'drRestoreTargets',
      'a DB cluster or DB instance identifier');
    const copyVaultArn = backupVaultArn(props.backupCopyVaultArn);
    const backupSchedule = backupScheduleExpression(props.backupSchedule ?? DEFAULT_BACKUP_SCHEDULE);
    const backupRetentionDays = wholeNumber(props.backupRetentionDays ?? 7, 1, 3650, 'backupRetentionDays');
    const backupCopyRetentionDays = wholeNumber(props.backupCopyRetentionDays ?? 14, 1, 3650, 'backupCopyRetentionDays');
    const backupRpoMinutes = wholeNumber(props.backupRpoMinutes ?? 180, 60, 10080, 'backupRpoMinutes');

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
    const drStateMachineLogGroupName = `/aws/vendedlogs/states/${prefix}-dr`;
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
          'kms:EncryptionContext:aws:logs:arn': [
            logGroupArn(`${lambdaLogPrefix}/*`), logGroupArn(stateMachineLogGroupName), logGroupArn(drStateMachineLogGroupName),
          ],
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
    const binaries: Record<LambdaKey, string> = {
      ...FUNCTION_BINARIES, drReadiness: DR_READINESS_BINARY, backupWatch: BACKUP_WATCH_BINARY,
    };
    const functionLogGroup = (key: LambdaKey) => new logs.LogGroup(this, `${pascal(key)}LogGroup`, {
      logGroupName: `${lambdaLogPrefix}/${binaries[key]}`,
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
    const drStateMachineLogGroup = new logs.LogGroup(this, 'DrStateMachineLogGroup', {
      logGroupName: drStateMachineLogGroupName,
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
    // - cloudformation:ListExports has no resource-level permissions; it lists the stack
    //   exports of this account and region (dr-validate resolves !Import against them).
    // - cloudwatch:GetMetricStatistics has no resource-level permissions; it reads metrics
    //   (replica lag) of this account and region. Only dr-check and the readiness function
    //   hold it (GetMetricData is not granted: nothing calls it).
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
    // Any global database of this account (their ARNs have no region): a dry run may plan any.
    const readGlobalClusters = new iam.PolicyStatement({
      sid: 'ReadGlobalClusters',
      actions: ['rds:DescribeGlobalClusters'],
      resources: [`arn:${stack.partition}:rds::${stack.account}:global-cluster:*`],
    });
    const switchGlobalClusters = ['rds:SwitchoverGlobalCluster', 'rds:FailoverGlobalCluster'];
    // Both calls are authorised on the global cluster and on the target cluster. Without
    // drGlobalClusters neither statement exists: dr-act may switch nothing.
    const switchStatements = drGlobalClusters.length === 0 ? [] : [
      // Exactly the global clusters named (see globalClusterArnPattern for the wildcards).
      new iam.PolicyStatement({
        sid: 'SwitchConfiguredGlobalClustersOnly',
        actions: switchGlobalClusters,
        resources: drGlobalClusters.map(globalClusterArnPattern),
      }),
      // The target: a member cluster in this region. The DR workflow has no opt-in tag;
      // the global cluster list above is what limits the call.
      new iam.PolicyStatement({
        sid: 'SwitchToClustersInThisRegion',
        actions: switchGlobalClusters,
        resources: [rdsArn('cluster')],
      }),
    ];
    // CreateAuroraSecondaryDBCluster (failback preparation): CreateDBCluster with
    // GlobalClusterIdentifier, then CreateDBInstance, authorised on the resource types the
    // Service Authorization Reference lists for them. Without drGlobalClusters none of
    // these statements exists: dr-act may create no secondary. No tags are sent, so no
    // rds:AddTagsToResource. The key grant and PassRole are in newInstanceStatements.
    const secondaryStatements = drGlobalClusters.length === 0 ? [] : [
      // The global cluster the secondary joins: exactly those named (see
      // globalClusterArnPattern). Its ARN has no region, so aws:RequestedRegion keeps the
      // statement to calls sent to the stack's region on its own (the regional statement
      // below does too, through its ARNs).
      new iam.PolicyStatement({
        sid: 'CreateSecondaryInConfiguredGlobalClustersOnly',
        actions: ['rds:CreateDBCluster'],
        resources: drGlobalClusters.map(globalClusterArnPattern),
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
      // The required resources: the new cluster (named by the payload), its subnet group
      // (the payload's), its cluster parameter and option groups (the engine's defaults);
      // this account and region. Not db: only a Multi-AZ DB cluster creates instances with
      // the cluster. The VPC security groups are EC2's, checked by RDS.
      new iam.PolicyStatement({
        sid: 'CreateSecondaryClusterInThisRegion',
        actions: ['rds:CreateDBCluster'],
        resources: [rdsArn('cluster'), rdsArn('subgrp'), rdsArn('cluster-pg'), rdsArn('og')],
      }),
      // The secondary's first instance (named by the payload), the cluster it joins and the
      // groups it takes from the cluster or the engine's defaults; this account and region.
      // Not secgrp: no DB security group is named (a VPC instance has none).
      new iam.PolicyStatement({
        sid: 'CreateSecondaryInstanceInThisRegion',
        actions: ['rds:CreateDBInstance'],
        resources: [rdsArn('db'), rdsArn('cluster'), rdsArn('subgrp'), rdsArn('pg'), rdsArn('og')],
      }),
    ];
    // PromoteReadReplica (PromoteRDSReadReplica) on exactly the instances named, in this
    // region (see dbInstanceArnPattern for the wildcards and the condition). Without
    // drInstances the statement does not exist: dr-act may promote nothing.
    const promoteStatements = drInstances.length === 0 ? [] : [
      new iam.PolicyStatement({
        sid: 'PromoteConfiguredInstancesInThisRegionOnly',
        actions: ['rds:PromoteReadReplica'],
        resources: drInstances.map(dbInstanceArnPattern),
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
    ];
    // CreateRDSReadReplica (failback preparation for the pilot light):
    // CreateDBInstanceReadReplica, sent to this region, makes a new instance here that
    // replicates one in another region, named by its ARN. Authorised on the resource types
    // the Service Authorization Reference lists: db (required; the source and the new
    // replica are both db resources) and the og, pg and subgrp it uses. Without drInstances
    // neither statement exists: dr-act may create no read replica. No tags are sent; the
    // key grant and PassRole are in newInstanceStatements. Which permission in which region:
    // - the new replica's db ARN is this region's; the source's is its own region's. A
    //   cross-region replica is requested in the destination region (this one), but IAM
    //   authorises the source by its ARN in its own region, so the statement keeps the
    //   region wildcard of dbInstanceArnPattern and has no aws:RequestedRegion condition
    //   (where RDS checks the caller's right on the source in the source region, as with the
    //   PreSignedUrl of GovCloud regions, the requested region is the source's);
    // - subnet, parameter and option groups are this region's (groups do not cross regions);
    // - the KMS key encrypts the new replica, so it is this region's, used through RDS here;
    //   dr-act holds nothing on the source's key.
    const replicaStatements = drInstances.length === 0 ? [] : [
      // Exactly the instances named, as source or as new replica (a policy cannot tell the
      // two db resources of one call apart). The region wildcard lets the call be sent to
      // any region, but only of and as listed instances; dr-act's client sends here only.
      new iam.PolicyStatement({
        sid: 'CreateReplicaOfAndAsConfiguredInstancesOnly',
        actions: ['rds:CreateDBInstanceReadReplica'],
        resources: drInstances.map(dbInstanceArnPattern),
      }),
      // The groups the new replica takes (the payload's subnet and parameter groups, the
      // engine's default option group), of this account and region. Not secgrp: the VPC
      // security groups are EC2's, and a VPC instance has no DB security group.
      new iam.PolicyStatement({
        sid: 'CreateReplicaWithGroupsInThisRegion',
        actions: ['rds:CreateDBInstanceReadReplica'],
        resources: [rdsArn('subgrp'), rdsArn('pg'), rdsArn('og')],
      }),
    ];
    // What any new database of dr-act's needs, a secondary's first instance, a read replica,
    // or a restored cluster or instance and a restored cluster's writer and readers: one
    // statement of each when one of the three lists is set (the SAM template's condition
    // HasDrNewDatabases), none when all are empty.
    const newDatabases = drGlobalClusters.length + drInstances.length + drRestoreTargets.length > 0;
    const newInstanceStatements = !newDatabases ? [] : [
      // An encrypted new instance names a customer managed key of this region (KmsKeyId;
      // required for a cross-region replica of an encrypted source), and a restore from an
      // encrypted snapshot uses the snapshot's key or the one named: RDS creates a grant on it
      // and describes it on the caller's behalf. The user's key, usable here only through RDS
      // in this region.
      new iam.PolicyStatement({
        sid: 'UseNewInstanceKeysThroughRdsOnly',
        actions: ['kms:CreateGrant', 'kms:DescribeKey'],
        resources: [`arn:${stack.partition}:kms:${stack.region}:${stack.account}:key/*`],
        conditions: { StringEquals: { 'kms:ViaService': `rds.${stack.region}.amazonaws.com` } },
      }),
      // MonitoringRoleArn: the payload's enhanced-monitoring role, the user's (any name in
      // this account), passable only to RDS enhanced monitoring.
      new iam.PolicyStatement({
        sid: 'PassNewInstanceMonitoringRoleOnly',
        actions: ['iam:PassRole'],
        resources: [`arn:${stack.partition}:iam::${stack.account}:role/*`],
        conditions: { StringEquals: { 'iam:PassedToService': 'monitoring.rds.amazonaws.com' } },
      }),
    ];

    // The replica lag recorded before a promotion or failover (dr-check) and the readiness
    // check's lag (dr-readiness): no resource-level permissions.
    const readReplicaLagMetrics = new iam.PolicyStatement({
      sid: 'ReadReplicaLagMetrics',
      actions: ['cloudwatch:GetMetricStatistics'],
      resources: ['*'],
    });
    // ElastiCache global datastores: any of this account (their ARNs have no region).
    // DescribeGlobalReplicationGroups is authorised on the global datastore, so the functions
    // ask for one by its identifier.
    const readGlobalReplicationGroups = new iam.PolicyStatement({
      sid: 'ReadGlobalReplicationGroups',
      actions: ['elasticache:DescribeGlobalReplicationGroups'],
      resources: [`arn:${stack.partition}:elasticache::${stack.account}:globalreplicationgroup:*`],
    });
    // FailoverElastiCacheCluster, only with drGlobalReplicationGroups (none: no ElastiCache
    // permission at all for dr-check and dr-act). The failover is authorised only on the global
    // datastore (the Service Authorization Reference lists no replication group for it):
    // exactly those named (see globalReplicationGroupArnPattern), and only in calls sent to
    // this region, where dr-act sends it naming this region as PrimaryRegion (a request
    // parameter no condition key shows).
    const elastiCacheReadStatements = drGlobalReplicationGroups.length === 0 ? [] : [readGlobalReplicationGroups];
    const elastiCacheFailoverStatements = drGlobalReplicationGroups.length === 0 ? [] : [
      new iam.PolicyStatement({
        sid: 'FailOverConfiguredGlobalReplicationGroupsOnly',
        actions: ['elasticache:FailoverGlobalReplicationGroup'],
        resources: drGlobalReplicationGroups.map(globalReplicationGroupArnPattern),
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
    ];
    // PromoteAuroraReadReplicaCluster: PromoteReadReplicaDBCluster (authorised on the cluster)
    // on exactly the clusters named, in this region (see dbClusterArnPattern). Without
    // drReplicaClusters the statement does not exist.
    const promoteClusterStatements = drReplicaClusters.length === 0 ? [] : [
      new iam.PolicyStatement({
        sid: 'PromoteConfiguredReplicaClustersInThisRegionOnly',
        actions: ['rds:PromoteReadReplicaDBCluster'],
        resources: drReplicaClusters.map(dbClusterArnPattern),
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
    ];
    // The snapshots a restore comes from (dr-check, dr-act and the readiness function): any of
    // this account and region. DescribeDBClusterSnapshots is authorised on the cluster it filters
    // by and on the snapshots, DescribeDBSnapshots on the instance and the snapshots.
    const readSnapshots = [
      new iam.PolicyStatement({
        sid: 'ReadClusterSnapshots',
        actions: ['rds:DescribeDBClusterSnapshots'],
        resources: [rdsArn('cluster'), rdsArn('cluster-snapshot')],
      }),
      new iam.PolicyStatement({
        sid: 'ReadInstanceSnapshots',
        actions: ['rds:DescribeDBSnapshots'],
        resources: [rdsArn('db'), rdsArn('snapshot')],
      }),
    ];
    const snapshotReadStatements = drRestoreTargets.length === 0 ? [] : readSnapshots;
    // The cold standby's restores (RestoreAuroraClusterFromSnapshot, RestoreRDSInstanceFromSnapshot,
    // RestoreAuroraClusterToPointInTime), only with drRestoreTargets (none: dr-act may restore
    // nothing). The resource types are those the Service Authorization Reference lists for each
    // action: the new cluster or instance, the snapshot, and the subnet, parameter and option
    // groups. The key grant and PassRole are in newInstanceStatements.
    const inThisRegion = { StringEquals: { 'aws:RequestedRegion': stack.region } };
    const restoreStatements = drRestoreTargets.length === 0 ? [] : [
      // The new clusters: exactly those listed (see dbClusterArnPattern), as the cluster a
      // restore creates and as the cluster its writer and readers join (CreateDBInstance).
      new iam.PolicyStatement({
        sid: 'RestoreIntoConfiguredClustersInThisRegionOnly',
        actions: ['rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime', 'rds:CreateDBInstance'],
        resources: drRestoreTargets.map(dbClusterArnPattern),
        conditions: inThisRegion,
      }),
      // The new instances: exactly those listed (see dbInstanceArnPattern).
      new iam.PolicyStatement({
        sid: 'RestoreIntoConfiguredInstancesInThisRegionOnly',
        actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
        resources: drRestoreTargets.map(dbInstanceArnPattern),
        conditions: inThisRegion,
      }),
      // The snapshots restored from: any of this account and region (AWS Backup's copies carry
      // generated names), a cluster's for a cluster, an instance's for an instance.
      new iam.PolicyStatement({
        sid: 'RestoreClustersFromSnapshotsInThisRegion',
        actions: ['rds:RestoreDBClusterFromSnapshot'],
        resources: [rdsArn('cluster-snapshot')],
      }),
      new iam.PolicyStatement({
        sid: 'RestoreInstancesFromSnapshotsInThisRegion',
        actions: ['rds:RestoreDBInstanceFromDBSnapshot'],
        resources: [rdsArn('snapshot')],
      }),
      // A point-in-time restore is authorised on its source cluster too. Any cluster as the source
      // would match any new cluster's name as well; so only a protected cluster (tag value in any
      // case, as the RPO watch reads it; a cluster that does not exist yet has no tags, so no
      // unlisted new cluster matches).
      new iam.PolicyStatement({
        sid: 'RestoreToPointInTimeOfProtectedClustersOnly',
        actions: ['rds:RestoreDBClusterToPointInTime'],
        resources: [rdsArn('cluster')],
        conditions: { StringEqualsIgnoreCase: { [`aws:ResourceTag/${TAG_BACKUP}`]: 'true' } },
      }),
      // The groups a restored cluster takes; the VPC security groups are EC2's, checked by RDS.
      new iam.PolicyStatement({
        sid: 'RestoreClustersWithGroupsInThisRegion',
        actions: ['rds:RestoreDBClusterFromSnapshot', 'rds:RestoreDBClusterToPointInTime'],
        resources: [rdsArn('subgrp'), rdsArn('cluster-pg'), rdsArn('og')],
      }),
      // The groups a restored instance, and a restored cluster's writer and readers, take.
      new iam.PolicyStatement({
        sid: 'RestoreInstancesWithGroupsInThisRegion',
        actions: ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:CreateDBInstance'],
        resources: [rdsArn('subgrp'), rdsArn('pg'), rdsArn('og')],
      }),
      // A restored cluster's writer and readers: any name, but only Aurora instances, which exist
      // only inside a cluster (and the cluster must be a listed one).
      new iam.PolicyStatement({
        sid: 'CreateAuroraInstancesInThisRegionOnly',
        actions: ['rds:CreateDBInstance'],
        resources: [rdsArn('db')],
        conditions: { StringLike: { 'rds:DatabaseEngine': 'aurora*' } },
      }),
      // Tags given at creation (aurora-failback:restore=<resource key>, on the restored cluster or
      // instance and a restored cluster's writer and readers), only in requests that set that tag:
      // the listed clusters, in this region...
      new iam.PolicyStatement({
        sid: 'TagRestoredClustersAtCreationOnly',
        actions: ['rds:AddTagsToResource'],
        resources: drRestoreTargets.map(dbClusterArnPattern),
        conditions: { ...inThisRegion, Null: { [`aws:RequestTag/${TAG_RESTORE}`]: 'false' } },
      }),
      // ... and the instances (a listed one, or a restored cluster's writer or reader, any name).
      new iam.PolicyStatement({
        sid: 'TagRestoredInstancesAtCreationOnly',
        actions: ['rds:AddTagsToResource'],
        resources: [rdsArn('db')],
        conditions: { Null: { [`aws:RequestTag/${TAG_RESTORE}`]: 'false' } },
      }),
    ];
    // The RPO watch (only with backupCopyVaultArn): the copies in the vault's region, any of this
    // account there, and only there (the copies keep their source's identifier).
    const copyRegion = copyVaultArn === undefined ? undefined : vaultRegion(copyVaultArn);
    const copyRdsArn = (type: string) => `arn:${stack.partition}:rds:${copyRegion}:${stack.account}:${type}:*`;
    const ssmParameterArn = (name: string) => `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${name}`;
    // SecureString parameters: the user's key, usable here only through SSM.
    const decryptThroughSsm = new iam.PolicyStatement({
      sid: 'DecryptSecureStringsThroughSsmOnly',
      actions: ['kms:Decrypt'],
      resources: [`arn:${stack.partition}:kms:${stack.region}:${stack.account}:key/*`],
      conditions: { StringEquals: { 'kms:ViaService': `ssm.${stack.region}.amazonaws.com` } },
    });
    const readStackExports = new iam.PolicyStatement({ sid: 'ReadStackExports', actions: ['cloudformation:ListExports'], resources: ['*'] });

    const statements: Record<LambdaKey, iam.PolicyStatement[]> = {
      // A secondary of a global database shows in DescribeDBClusters (GlobalClusterIdentifier).
      describeWriter: [...readClusters, readOrderableClasses],
      createReader: [
        ...readClusters,
        readOrderableClasses,
        // Capacity fallback: the zones of the cluster's DB subnet group, where a reader may go.
        new iam.PolicyStatement({ sid: 'ReadSubnetGroups', actions: ['rds:DescribeDBSubnetGroups'], resources: [rdsArn('subgrp')] }),
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
        // Capacity fallback retries CreateDBInstance in the cluster's other zones and with
        // fallback classes: the statements above pin neither, ReadOrderableClasses covers
        // the checks. Planned scale-up ("modify"): ModifyDBInstance with the class,
        // PromotionTier and ApplyImmediately only, so only the db resource is authorised.
        // The Service Authorization Reference gives ModifyDBInstance no cluster resource
        // and no rds:cluster-tag key, only the instance's own keys, and a cluster's
        // instances need not carry the opt-in tag: IAM cannot tie the instance to an
        // opted-in cluster. So any instance here, with or without allowUntaggedManualRuns;
        // the function refuses a cluster that has not opted in before it calls.
        new iam.PolicyStatement({
          sid: 'ModifyInstanceClassAnyInstanceHere',
          actions: ['rds:ModifyDBInstance'],
          resources: [rdsArn('db')],
        }),
        // Clean-up (CleanUpReader): the function deletes only the instance its run created
        // (deterministic name, this run's tag) when the reader never became available; IAM
        // holds it to instances carrying a run tag (the value, the run's name, is unknown here).
        new iam.PolicyStatement({
          sid: 'DeleteOnlyInstancesCarryingRunTag',
          actions: ['rds:DeleteDBInstance'],
          resources: [rdsArn('db')],
          conditions: { Null: { [`aws:ResourceTag/${TAG_RUN}`]: 'false' } },
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
      drValidate: [
        readStackExports,
        // The prefix starts with "/": ...:parameter/aurora-failback/dr/*.
        new iam.PolicyStatement({
          sid: 'ReadDrParametersOnly',
          actions: ['ssm:GetParameters'],
          resources: [ssmParameterArn(`${drParameterPathPrefix}*`)],
        }),
        decryptThroughSsm,
      ],
      drCheck: [readGlobalClusters, ...readClusters, readReplicaLagMetrics, ...elastiCacheReadStatements, ...snapshotReadStatements],
      drAct: [
        readGlobalClusters, ...readClusters, ...switchStatements, ...secondaryStatements, ...promoteStatements,
        ...replicaStatements, ...newInstanceStatements, ...elastiCacheReadStatements, ...elastiCacheFailoverStatements,
        ...promoteClusterStatements, ...snapshotReadStatements, ...restoreStatements,
      ],
      // Reads only: what dr-validate and dr-check read, and the payload parameter itself
      // (its name starts with "/": ...:parameter/<name>), read as dr-validate reads, with
      // GetParameters (decrypted).
      drReadiness: [
        readStackExports,
        new iam.PolicyStatement({
          sid: 'ReadPayloadAndDrParametersOnly',
          actions: ['ssm:GetParameters'],
          resources: [ssmParameterArn(readinessParameter ?? ''), ssmParameterArn(`${drParameterPathPrefix}*`)],
        }),
        decryptThroughSsm,
        readGlobalClusters,
        ...readClusters,
        readGlobalReplicationGroups,
        ...readSnapshots,
        readReplicaLagMetrics,
      ],
      // Reads only: the protected clusters and instances here (their tags come in the answers),
      // and their copies in the vault's region.
      backupWatch: [
        ...readClusters,
        new iam.PolicyStatement({
          sid: 'ReadClusterCopiesInCopyRegion',
          actions: ['rds:DescribeDBClusterSnapshots'],
          resources: [copyRdsArn('cluster'), copyRdsArn('cluster-snapshot')],
        }),
        new iam.PolicyStatement({
          sid: 'ReadInstanceCopiesInCopyRegion',
          actions: ['rds:DescribeDBSnapshots'],
          resources: [copyRdsArn('db'), copyRdsArn('snapshot')],
        }),
      ],
    };

    const descriptions: Record<LambdaKey, string> = {
      describeWriter: 'Reads the cluster and plans the run (restore, no-op, skip or dry run).',
      createReader: 'Creates a writer-sized, tier-0 reader copying the reference instance (other zones and fallback classes when out of capacity), or resizes a spare reader in place; deletes the reader a run created and abandoned.',
      checkStatus: "Reports the new reader's and the cluster's status for the poll loop.",
      failover: 'Fails the cluster over to the new reader.',
      recordRun: 'Records runs in the ledger and holds the per-cluster lease; finishes runs that died.',
      drValidate: 'Checks a DR payload whole and resolves its !Import and resolve:ssm references.',
      drCheck: 'Plans a DR resource, records its replica lag and checks whether its writer moved (reads only).',
      drAct: 'Switches over or fails over a global database or an ElastiCache global datastore, adds a secondary cluster to one, promotes a read replica (instance or cluster), creates one here or restores a database here, once, if the plan still says so.',
      drReadiness: "Checks a DR payload's readiness on a schedule and publishes it as metrics (reads only).",
      backupWatch: 'Checks that each protected cluster and instance has a copy in the DR region newer than the RPO, and publishes it as metrics (reads only).',
    };
    const timeouts: Partial<Record<LambdaKey, Duration>> = {
      createReader: Duration.seconds(60),
      failover: Duration.seconds(60),
      drValidate: Duration.seconds(60),
      drAct: Duration.seconds(60),
      drReadiness: Duration.seconds(60),
      backupWatch: Duration.seconds(60),
    };
    const calls: Record<LambdaKey, string> = {
      describeWriter: 'RDS', createReader: 'RDS', checkStatus: 'RDS', failover: 'RDS', recordRun: 'DynamoDB',
      drValidate: 'CloudFormation, SSM', drCheck: 'RDS, ElastiCache, CloudWatch', drAct: 'RDS, ElastiCache',
      drReadiness: 'SSM, CloudFormation, RDS, ElastiCache, CloudWatch',
      backupWatch: 'RDS, in two regions',
    };
    const isDr = (key: LambdaKey) => key.startsWith('dr');
    const allowUntaggedFlag = allowUntagged ? 'true' : 'false';
    const environments: Partial<Record<LambdaKey, Record<string, string>>> = {
      describeWriter: {
        DRY_RUN_ONLY: props.dryRunOnly ? 'true' : 'false',
        MAX_EVENT_AGE_SECONDS: String(maxEventAgeSeconds),
        ALLOW_UNTAGGED_MANUAL_RUNS: allowUntaggedFlag,
      },
      createReader: { ALLOW_UNTAGGED_MANUAL_RUNS: allowUntaggedFlag },
      failover: { ALLOW_UNTAGGED_MANUAL_RUNS: allowUntaggedFlag },
      recordRun: { LEDGER_TABLE: this.ledgerTable.tableName, MAX_EVENT_AGE_SECONDS: String(maxEventAgeSeconds) },
      // The role reads only parameters under this path; dr-validate refuses references
      // outside it as InvalidInput before any lookup, naming the path.
      drValidate: { DR_PARAMETER_PATH_PREFIX: drParameterPathPrefix },
      // As dr-validate's prefix, and the lag up to which a replica counts as ready.
      drReadiness: {
        DR_PARAMETER_PATH_PREFIX: drParameterPathPrefix,
        DR_READINESS_MAX_LAG_SECONDS: String(readinessMaxLagSeconds),
      },
      // The copy vault's region, and the RPO in minutes (as the SAM parameter: CloudFormation
      // cannot multiply).
      backupWatch: { BACKUP_COPY_REGION: copyRegion ?? '', BACKUP_RPO_MINUTES: String(backupRpoMinutes) },
    };

    const roles = {} as AuroraFailback['roles'];
    const functions = {} as Record<FunctionKey, RustFunction> & Partial<Record<'drReadiness' | 'backupWatch', RustFunction>>;
    // The eight functions always; the readiness function only with a payload parameter, the RPO
    // watch only with a copy vault.
    const keys: LambdaKey[] = [
      ...Object.keys(FUNCTION_BINARIES) as FunctionKey[],
      ...(readinessParameter ? ['drReadiness' as const] : []),
      ...(copyVaultArn ? ['backupWatch' as const] : []),
    ];
    const scheduled = (key: LambdaKey) => key === 'drReadiness' || key === 'backupWatch';
    for (const key of keys) {
      const binary = binaries[key];
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
        architecture: architecture === 'x86_64' ? lambda.Architecture.X86_64 : lambda.Architecture.ARM_64,
        description: descriptions[key],
        role,
        memorySize: 256,
        timeout: timeouts[key] ?? Duration.seconds(30),
        tracing: lambda.Tracing.ACTIVE,
        loggingFormat: lambda.LoggingFormat.JSON,
        logGroup,
        environment: environments[key],
        deadLetterQueue: key === 'recordRun' ? this.deadLetterQueue : undefined,
        // The readiness check and the RPO watch are invoked asynchronously by their schedules: a
        // failed check is not run again late (the next is due soon; the alarm reports the gap).
        ...(scheduled(key) ? { retryAttempts: 0, maxEventAge: Duration.minutes(5) } : {}),
      });
      skipChecks(fn, [
        key === 'recordRun' ? undefined : ['CKV_AWS_116', key === 'drReadiness'
          ? 'Invoked asynchronously by its schedule, with no retry (schedule and function); a check that fails or never runs publishes no datapoint, and the readiness alarm treats a missing datapoint as not ready, so a queue of failed checks would add nothing.'
          : key === 'backupWatch'
          ? 'Invoked asynchronously by its schedule, with no retry (schedule and function); a check that fails or never runs publishes no datapoint, and the RPO alarm treats a missing datapoint as outside the RPO, so a queue of failed checks would add nothing.'
          : `Invoked only synchronously by the ${isDr(key) ? 'DR ' : ''}state machine, whose Retry and Catch handle failures; a DLQ applies to asynchronous invocations only.`],
        ['CKV_AWS_117', `Calls only AWS APIs (${calls[key]}); it reaches nothing inside a VPC, and a VPC would need NAT or interface endpoints to reach them.`],
        ['CKV_AWS_115', key === 'drReadiness'
          ? 'Reserved concurrency would take capacity from the account pool and fails to deploy in accounts with a low concurrency quota; one check runs every drReadinessMinutes minutes.'
          : key === 'backupWatch'
          ? 'Reserved concurrency would take capacity from the account pool and fails to deploy in accounts with a low concurrency quota; one check runs every 15 minutes.'
          : isDr(key)
          ? 'Reserved concurrency would take capacity from the account pool and fails to deploy in accounts with a low concurrency quota; DR runs are few and one per database at a time (ledger lease).'
          : 'Reserved concurrency would take capacity from the account pool and fails to deploy in accounts with a low concurrency quota; runs are few and one per cluster at a time (ledger lease).'],
        environments[key] ? ['CKV_AWS_173', environmentReason(Object.keys(environments[key]!))] : undefined,
      ]);
      roles[key] = role;
      functions[key] = fn;
    }
    const { drReadiness: readinessFunction, backupWatch: backupWatchFunction, ...alwaysThere } = functions;
    this.functions = alwaysThere;
    this.readinessFunction = readinessFunction;
    this.backupWatchFunction = backupWatchFunction;

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
              resources: FAILBACK_FUNCTIONS.map((key) => functions[key].functionArn),
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
    for (const key of FAILBACK_FUNCTIONS) {
      substitutions[DEFINITION_SUBSTITUTIONS[key]] = functions[key].functionArn;
    }
    // Strings, as every substitution; the ASL reads them with States.StringToJson.
    substitutions.ReaderCheckBudget = String(wholeNumber(props.readerCheckBudget ?? 60, 1, 80, 'readerCheckBudget'));
    substitutions.WriterCheckBudget = String(wholeNumber(props.writerCheckBudget ?? 60, 1, 120, 'writerCheckBudget'));
    substitutions.NewReaderWaitSeconds = String(wholeNumber(props.newReaderWaitSeconds ?? 540, 0, 1200, 'newReaderWaitSeconds'));
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

    // --- The cross-region DR state machine: started by hand with a DR payload; invokes
    // only its four functions, puts events only on the default bus with its own
    // detail-type.
    const drStateMachineRole = new iam.Role(this, 'DrStateMachineRole', {
      description: 'aurora-failback DR state machine',
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      inlinePolicies: {
        'dr-state-machine': new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'InvokeOwnFunctionsOnly',
              actions: ['lambda:InvokeFunction'],
              resources: DR_FUNCTIONS.map((key) => functions[key].functionArn),
            }),
            new iam.PolicyStatement({
              sid: 'PublishDrRunFinishedOnDefaultBus',
              actions: ['events:PutEvents'],
              resources: [`arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/default`],
              conditions: {
                StringEquals: { 'events:source': RUN_FINISHED_SOURCE, 'events:detail-type': DR_RUN_FINISHED_DETAIL_TYPE },
              },
            }),
            // The capacity hand-off: a Task startExecution (no .sync) starts a run of this
            // stack's failback state machine and does not wait for it; StartExecution on that
            // machine is all it needs.
            new iam.PolicyStatement({
              sid: 'StartFailbackStateMachineOnly',
              actions: ['states:StartExecution'],
              resources: [this.stateMachine.stateMachineArn],
            }),
          ],
        }),
      },
    });
    roles.drStateMachine = drStateMachineRole;
    const drSubstitutions: Record<string, string> = {};
    for (const key of DR_FUNCTIONS) {
      drSubstitutions[DR_DEFINITION_SUBSTITUTIONS[key]] = functions[key].functionArn;
    }
    drSubstitutions[FAILBACK_STATE_MACHINE_SUBSTITUTION] = this.stateMachine.stateMachineArn;
    // A string, as every substitution; the ASL reads it with States.StringToJson.
    drSubstitutions.ResourceCheckBudget = String(resourceCheckBudget);
    if (!fs.existsSync(drDefinitionPath)) {
      throw new Error(`DR state machine definition not found: ${drDefinitionPath}`);
    }
    this.drStateMachine = new sfn.StateMachine(this, 'DrStateMachine', {
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromFile(drDefinitionPath),
      definitionSubstitutions: drSubstitutions,
      role: drStateMachineRole,
      tracingEnabled: true,
      logs: { destination: drStateMachineLogGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
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

    // --- Finishing runs of either machine that died without reaching their Catch. A
    // failback run's cluster lease is released; a DR run (recognised by its input, a DR
    // payload) is recorded as failed under "#dr-runs" and its leases expire on their own.
    // Both are ledger writes record-run's role already allows (KeepLedger).
    this.executionEndedRule = new events.Rule(this, 'ExecutionEndedRule', {
      description: 'aurora-failback or DR run failed, timed out or was aborted -> record-run',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn, this.drStateMachine.stateMachineArn],
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
    const topic = this.notificationTopic;
    const dlq = this.deadLetterQueue;
    const notifyRule = (id: string, runs: string, detailType: string) => {
      const rule = new events.Rule(this, id, {
        description: props.notifyOnEveryRun
          ? `every finished ${runs} -> notification topic`
          : `failed ${runs} -> notification topic`,
        eventPattern: {
          source: [RUN_FINISHED_SOURCE],
          detailType: [detailType],
          detail: props.notifyOnEveryRun ? undefined : { outcome: ['failed'] },
        },
      });
      // A target of our own rather than targets.SnsTopic, so that the topic policy is
      // limited to this stack's rules (SnsTopic grants every rule of every account).
      rule.addTarget({
        bind: () => ({
          id: 'notification-topic',
          arn: topic.topicArn,
          retryPolicy: { maximumRetryAttempts: 20, maximumEventAgeInSeconds: 86400 },
          deadLetterConfig: { arn: dlq.queueArn },
        }),
      });
      return rule;
    };
    this.runFinishedNotifyRule = notifyRule('RunFinishedNotifyRule', 'aurora-failback runs', RUN_FINISHED_DETAIL_TYPE);
    this.drRunFinishedNotifyRule = notifyRule('DrRunFinishedNotifyRule', 'aurora-failback DR runs', DR_RUN_FINISHED_DETAIL_TYPE);
    const notifyRuleArns = [this.runFinishedNotifyRule.ruleArn, this.drRunFinishedNotifyRule.ruleArn];
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'RunFinishedRuleOfThisStack',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': notifyRuleArns } },
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
      conditions: { ArnEquals: { 'aws:SourceArn': notifyRuleArns } },
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
      alarm('DrExecutionsFailedAlarm', "An aurora-failback DR run failed; see the DR state machine's execution history and the ledger.",
        this.drStateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' })),
      alarm('DrExecutionsTimedOutAlarm', "An aurora-failback DR run hit the DR state machine's time limit; it never published its outcome.",
        this.drStateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' })),
      alarm('DeadLetterAlarm', 'An aurora-failback event or ledger update was not delivered; read the dead-letter queue.',
        dlq.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: 'Maximum' })),
    ];

    // --- DR readiness on a schedule (only with drReadinessPayloadParameter).
    if (readinessParameter && readinessFunction) {
      const scheduleRole = new iam.Role(this, 'DrReadinessScheduleRole', {
        description: 'EventBridge Scheduler runs the aurora-failback DR readiness check',
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
        inlinePolicies: {
          'invoke-dr-readiness': new iam.PolicyDocument({
            statements: [new iam.PolicyStatement({
              sid: 'InvokeReadinessFunctionOnly',
              actions: ['lambda:InvokeFunction'],
              resources: [readinessFunction.functionArn],
            })],
          }),
        },
      });
      roles.drReadinessSchedule = scheduleRole;
      this.readinessSchedule = new scheduler.CfnSchedule(this, 'DrReadinessSchedule', {
        description: `aurora-failback DR readiness of the payload in SSM parameter ${readinessParameter}`,
        scheduleExpression: `rate(${readinessMinutes} minutes)`,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: readinessFunction.functionArn,
          roleArn: scheduleRole.roleArn,
          input: JSON.stringify({ payloadParameter: readinessParameter }),
          // A check that could not be delivered is not delivered late: the alarm reports it.
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 },
        },
      });
      // One ResourcesNotReady datapoint per check and one check per period: a period without
      // a datapoint means no check ran, and counts as not ready (breaching).
      this.readinessAlarm = new cloudwatch.Alarm(this, 'DrReadinessAlarm', {
        alarmDescription: `The DR payload in SSM parameter ${readinessParameter} was not known to be ready in ${readinessAlarmChecks} readiness checks in a row: a resource was not ready, or no check ran; see the dr-readiness function's log.`,
        metric: new cloudwatch.Metric({
          namespace: READINESS_NAMESPACE,
          metricName: READINESS_METRIC,
          dimensionsMap: { [READINESS_DIMENSION]: readinessParameter },
          statistic: 'Maximum',
          period: Duration.minutes(readinessMinutes),
        }),
        threshold: 1,
        evaluationPeriods: readinessAlarmChecks,
        datapointsToAlarm: readinessAlarmChecks,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      this.readinessAlarm.addAlarmAction(alarmAction);
      this.alarms.push(this.readinessAlarm);
    }

    // --- The cold standby (only with backupCopyVaultArn): AWS Backup backs up the clusters and
    // instances of this region tagged aurora-failback:backup=true into a vault here and copies
    // each backup to the vault in the DR region; the RPO watch checks the copies every 15 minutes.
    if (copyVaultArn && backupWatchFunction) {
      // A part of the stack's id: unique, and within the 50 characters a vault or plan name may have.
      const backupName = Fn.sub('aurora-failback-${StackId}', {
        StackId: Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID)))),
      });
      // This region's vault, encrypted with the stack's key: the key policy's root statement lets
      // IAM policies of this account use it, and the backup role's managed policy grants what AWS
      // Backup needs (DescribeKey, CreateGrant for AWS resources). RDS and Aurora backups keep
      // their source's encryption; the copies in the DR region take that vault's key. Retained, as
      // the key and the ledger (a vault that holds backups cannot be deleted).
      this.backupVault = new backup.CfnBackupVault(this, 'BackupVault', {
        backupVaultName: backupName,
        encryptionKeyArn: this.key.keyArn,
      });
      this.backupVault.applyRemovalPolicy(RemovalPolicy.RETAIN);
      // AWS Backup backs up and copies as this role: the AWS managed policy for backups only
      // (dr-act restores through RDS itself, so not the one for restores).
      const backupRole = new iam.Role(this, 'BackupRole', {
        description: 'AWS Backup backs up and copies the aurora-failback protected clusters and instances',
        assumedBy: new iam.ServicePrincipal('backup.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(BACKUP_SERVICE_POLICY)],
      });
      roles.backup = backupRole;
      this.backupPlan = new backup.CfnBackupPlan(this, 'BackupPlan', {
        backupPlan: {
          backupPlanName: backupName,
          backupPlanRule: [{
            ruleName: 'copy-to-dr-region',
            targetBackupVault: this.backupVault.ref,
            scheduleExpression: backupSchedule,
            startWindowMinutes: BACKUP_START_WINDOW_MINUTES,
            completionWindowMinutes: BACKUP_COMPLETION_WINDOW_MINUTES,
            // Snapshots, not continuous backups: a cross-region copy of a continuous backup is a
            // snapshot anyway (no point-in-time restore there), and continuous backup takes over the
            // databases' own automated backups (see infra/template.yaml).
            enableContinuousBackup: false,
            lifecycle: { deleteAfterDays: backupRetentionDays },
            copyActions: [{
              destinationBackupVaultArn: copyVaultArn,
              lifecycle: { deleteAfterDays: backupCopyRetentionDays },
            }],
          }],
        },
      });
      // RDS clusters and DB instances of this account and region (Resources) AND tagged
      // aurora-failback:backup=true (Conditions; ListOfTags would be an OR).
      this.backupSelection = new backup.CfnBackupSelection(this, 'BackupSelection', {
        backupPlanId: this.backupPlan.ref,
        backupSelection: {
          selectionName: 'protected-clusters-and-instances',
          iamRoleArn: backupRole.roleArn,
          resources: [rdsArn('cluster'), rdsArn('db')],
          conditions: { StringEquals: [{ ConditionKey: `aws:ResourceTag/${TAG_BACKUP}`, ConditionValue: 'true' }] },
        },
      });

      const watchScheduleRole = new iam.Role(this, 'BackupWatchScheduleRole', {
        description: 'EventBridge Scheduler runs the aurora-failback RPO watch',
        assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
        inlinePolicies: {
          'invoke-backup-watch': new iam.PolicyDocument({
            statements: [new iam.PolicyStatement({
              sid: 'InvokeBackupWatchFunctionOnly',
              actions: ['lambda:InvokeFunction'],
              resources: [backupWatchFunction.functionArn],
            })],
          }),
        },
      });
      roles.backupWatchSchedule = watchScheduleRole;
      this.backupWatchSchedule = new scheduler.CfnSchedule(this, 'BackupWatchSchedule', {
        description: 'aurora-failback RPO watch of the copies in the DR region',
        scheduleExpression: `rate(${BACKUP_WATCH_MINUTES} minutes)`,
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: backupWatchFunction.functionArn,
          roleArn: watchScheduleRole.roleArn,
          input: '{}',
          // A check that could not be delivered is not delivered late: the alarm reports it.
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: 300 },
        },
      });
      // One CopiesOutsideRpo datapoint per check and one check per period: two periods in a row at
      // 1 or more, or without a datapoint (no check ran), notify.
      this.backupWatchAlarm = new cloudwatch.Alarm(this, 'BackupWatchAlarm', {
        alarmDescription: `A protected cluster or instance had no copy in the DR region newer than ${backupRpoMinutes} minutes in two RPO checks in a row, or no check ran; see the backup-watch function's log.`,
        metric: new cloudwatch.Metric({
          namespace: READINESS_NAMESPACE,
          metricName: BACKUP_RPO_METRIC,
          statistic: 'Maximum',
          period: Duration.minutes(BACKUP_WATCH_MINUTES),
        }),
        threshold: 1,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      this.backupWatchAlarm.addAlarmAction(alarmAction);
      this.alarms.push(this.backupWatchAlarm);
    }
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

/** Global cluster identifiers, each checked (as the SAM parameter's AllowedPattern), or an error at synth time. */
function globalClusterIds(ids: string[]): string[] {
  for (const id of ids) {
    if (!GLOBAL_CLUSTER_ID_PATTERN.test(id) || id.length > 63) {
      throw new Error(`drGlobalClusters: ${JSON.stringify(id)} is not a global cluster identifier`);
    }
  }
  return [...ids];
}

/** DB instance identifiers, each checked (as the SAM parameter's AllowedPattern), or an error at synth time. */
function dbInstanceIds(ids: string[]): string[] {
  for (const id of ids) {
    if (!DB_INSTANCE_ID_PATTERN.test(id) || id.length > 63) {
      throw new Error(`drInstances: ${JSON.stringify(id)} is not a DB instance identifier`);
    }
  }
  return [...ids];
}

/** Identifiers, each checked against a pattern (as the SAM parameter's AllowedPattern), or an error at synth time. */
function identifiers(ids: string[], pattern: RegExp, name: string, what: string): string[] {
  for (const id of ids) {
    if (!pattern.test(id) || id.length > 63) {
      throw new Error(`${name}: ${JSON.stringify(id)} is not ${what}`);
    }
  }
  return [...ids];
}

/** The readiness payload parameter's name (undefined or '' for none), or an error at synth time. */
function payloadParameterName(name: string | undefined): string | undefined {
  if (name === undefined || name === '') {
    return undefined;
  }
  if (!SSM_PARAMETER_NAME_PATTERN.test(name) || name.length > 1011) {
    throw new Error(`drReadinessPayloadParameter must be an SSM parameter name that starts with "/", not ${JSON.stringify(name)}`);
  }
  return name;
}

/** One of the allowed values (as the SAM parameter's AllowedValues), or an error at synth time. */
function allowedValue(value: number, allowed: readonly number[], name: string): number {
  if (!allowed.includes(value)) {
    throw new Error(`${name} must be one of ${allowed.join(', ')}, not ${value}`);
  }
  return value;
}

/** An SSM parameter path that starts and ends with "/", or an error at synth time. */
function parameterPathPrefix(prefix: string): string {
  if (!DR_PARAMETER_PATH_PREFIX_PATTERN.test(prefix) || prefix.length > 1000) {
    throw new Error(`drParameterPathPrefix must be an SSM parameter path that starts and ends with "/", not ${JSON.stringify(prefix)}`);
  }
  return prefix;
}

/** The copy vault's ARN (undefined or '' for none), or an error at synth time. */
function backupVaultArn(arn: string | undefined): string | undefined {
  if (arn === undefined || arn === '') {
    return undefined;
  }
  if (!BACKUP_VAULT_ARN_PATTERN.test(arn)) {
    throw new Error(`backupCopyVaultArn must be a backup vault's ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>), not ${JSON.stringify(arn)}`);
  }
  return arn;
}

/** An AWS Backup cron expression, or an error at synth time. */
function backupScheduleExpression(expression: string): string {
  if (!BACKUP_SCHEDULE_PATTERN.test(expression)) {
    throw new Error(`backupSchedule must be a cron expression such as ${DEFAULT_BACKUP_SCHEDULE}, not ${JSON.stringify(expression)}`);
  }
  return expression;
}

/** checkov's CKV_AWS_173 reason: the function's variables hold no secret. */
function environmentReason(names: string[]): string {
  const listed = names.length === 1 ? `The only variable is ${names[0]}` : `The variables are ${names.join(', ')}`;
  return `${listed}: names, paths, numbers and true/false flags, no secret; Lambda encrypts them at rest with its service key.`;
}
