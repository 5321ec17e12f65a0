#!/usr/bin/env node
// Example app: deploys one aurora-failback stack into the account and region of the
// current AWS credentials; with -c backupDestination=true, the cold standby's DR-region
// side instead (BackupDestinationStack, deployed in the DR region before the main stack).
//
//   npx cdk deploy [-c notificationEmail=ops@example.com] [-c notifyOnEveryRun=true]
//                  [-c dryRunOnly=true] [-c readerCheckBudget=60] [-c writerCheckBudget=60]
//                  [-c newReaderWaitSeconds=540] [-c architecture=x86_64]
//                  [-c maxEventAgeSeconds=1800] [-c allowUntaggedManualRuns=true]
//                  [-c logRetentionDays=365] [-c stackName=aurora-failback]
//                  [-c drGlobalClusters=orders-global,payments-global]
//                  [-c drInstances=orders-replica,payments-replica]
//                  [-c drGlobalReplicationGroups=ldgnf-sessions,ldgnf-carts]
//                  [-c drReplicaClusters=orders-replica-cluster]
//                  [-c drParameterPathPrefix=/aurora-failback/dr/] [-c resourceCheckBudget=120]
//                  [-c drReadinessPayloadParameter=/aurora-failback/dr/payload]
//                  [-c drReadinessMinutes=15] [-c drReadinessAlarmChecks=3]
//                  [-c drReadinessMaxLagSeconds=60]
//                  [-c drRestoreTargets=orders-restored,reporting-restored]
//                  [-c backupCopyVaultArn=arn:aws:backup:DR_REGION:ACCOUNT:backup-vault:aurora-failback-copies]
//                  [-c backupSchedule='cron(0 */2 * * ? *)'] [-c backupRetentionDays=7]
//                  [-c backupCopyRetentionDays=14] [-c backupRpoMinutes=180]
//
//   npx cdk deploy -c backupDestination=true -c region=DR_REGION
//                  [-c sourceAccountId=ACCOUNT] [-c vaultName=aurora-failback-copies]
//                  [-c stackName=aurora-failback-backup-destination]
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AuroraFailback, BackupDestinationStack } from '../lib';

const app = new App();

/** -c architecture: arm64 (the default) or x86_64; anything else is refused. */
function architecture(value: string | undefined): 'arm64' | 'x86_64' | undefined {
  if (value === undefined || value === 'arm64' || value === 'x86_64') return value;
  throw new Error(`-c architecture must be arm64 or x86_64, not ${JSON.stringify(value)}`);
}

function context(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function flag(name: string): boolean {
  const value = context(name);
  if (value === undefined) {
    return false;
  }
  if (value !== 'true' && value !== 'false') {
    throw new Error(`context ${name} must be true or false, not ${value}`);
  }
  return value === 'true';
}

const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

if (flag('backupDestination')) {
  // The DR region's vault and key only (the same as infra/backup-destination.yaml).
  // The DR region, named: the stack goes there whatever the credentials' default region is.
  new BackupDestinationStack(app, context('stackName') ?? 'aurora-failback-backup-destination', {
    description: 'aurora-failback backup destination: the DR region vault the cold standby copies into',
    env: { ...env, region: context('region') ?? env.region },
    sourceAccountId: context('sourceAccountId'),
    vaultName: context('vaultName'),
  });
} else {
  mainStack();
}

function mainStack() {
  const retentionDays = context('logRetentionDays');
  const drGlobalClusters = context('drGlobalClusters');
  const drInstances = context('drInstances');
  const resourceCheckBudget = context('resourceCheckBudget');
  const drGlobalReplicationGroups = context('drGlobalReplicationGroups');
  const drReplicaClusters = context('drReplicaClusters');
  const drRestoreTargets = context('drRestoreTargets');
  const number = (name: string) => {
    const value = context(name);
    return value === undefined ? undefined : Number(value);
  };
  const stack = new Stack(app, context('stackName') ?? 'aurora-failback', {
    description: "aurora-failback: restores an Aurora cluster's writer class after a failover",
    env,
  });

  const failback = new AuroraFailback(stack, 'AuroraFailback', {
    dryRunOnly: flag('dryRunOnly'),
    readerCheckBudget: context('readerCheckBudget') ? Number(context('readerCheckBudget')) : undefined,
    writerCheckBudget: context('writerCheckBudget') ? Number(context('writerCheckBudget')) : undefined,
    newReaderWaitSeconds: context('newReaderWaitSeconds') ? Number(context('newReaderWaitSeconds')) : undefined,
    architecture: architecture(context('architecture')),
    maxEventAgeSeconds: context('maxEventAgeSeconds') ? Number(context('maxEventAgeSeconds')) : undefined,
    allowUntaggedManualRuns: flag('allowUntaggedManualRuns'),
    notificationEmail: context('notificationEmail'),
    notifyOnEveryRun: flag('notifyOnEveryRun'),
    logRetention: retentionDays ? (Number(retentionDays) as logs.RetentionDays) : undefined,
    // Comma-separated, as the SAM parameter DrGlobalClusters.
    drGlobalClusters: drGlobalClusters ? drGlobalClusters.split(',') : undefined,
    // Comma-separated, as the SAM parameter DrInstances.
    drInstances: drInstances ? drInstances.split(',') : undefined,
    // Comma-separated, as the SAM parameters DrGlobalReplicationGroups and DrReplicaClusters.
    drGlobalReplicationGroups: drGlobalReplicationGroups ? drGlobalReplicationGroups.split(',') : undefined,
    drReplicaClusters: drReplicaClusters ? drReplicaClusters.split(',') : undefined,
    drParameterPathPrefix: context('drParameterPathPrefix'),
    resourceCheckBudget: resourceCheckBudget ? Number(resourceCheckBudget) : undefined,
    // Readiness on a schedule: off unless drReadinessPayloadParameter is given.
    drReadinessPayloadParameter: context('drReadinessPayloadParameter'),
    drReadinessMinutes: number('drReadinessMinutes'),
    drReadinessAlarmChecks: number('drReadinessAlarmChecks'),
    drReadinessMaxLagSeconds: number('drReadinessMaxLagSeconds'),
    // Comma-separated, as the SAM parameter DrRestoreTargets.
    drRestoreTargets: drRestoreTargets ? drRestoreTargets.split(',') : undefined,
    // The cold standby: off unless backupCopyVaultArn is given.
    backupCopyVaultArn: context('backupCopyVaultArn'),
    backupSchedule: context('backupSchedule'),
    backupRetentionDays: number('backupRetentionDays'),
    backupCopyRetentionDays: number('backupCopyRetentionDays'),
    backupRpoMinutes: number('backupRpoMinutes'),
  });

  // The same outputs as infra/template.yaml.
  const outputs: Record<string, [string, string]> = {
    StateMachineArn: [failback.stateMachine.stateMachineArn, 'The failback state machine (start a run by hand here)'],
    StateMachineName: [failback.stateMachine.stateMachineName, "The failback state machine's name"],
    DrStateMachineArn: [failback.drStateMachine.stateMachineArn, 'The cross-region DR state machine (start a DR run with a payload here)'],
    LedgerTableName: [failback.ledgerTable.tableName, 'The run ledger (DynamoDB)'],
    NotificationTopicArn: [failback.notificationTopic.topicArn, 'Subscribe here to hear about failed runs (or every run), failback and DR'],
    DeadLetterQueueUrl: [failback.deadLetterQueue.queueUrl, 'Events and ledger updates that could not be delivered'],
    KeyArn: [failback.key.keyArn, 'The KMS key of the ledger, topic, queue and logs (retained when the stack is deleted)'],
  };
  if (failback.readinessFunction) {
    outputs.DrReadinessFunctionName = [failback.readinessFunction.functionName,
      'The scheduled DR readiness check (invoke it by hand with {"payloadParameter":"<name>"})'];
  }
  if (failback.backupWatchFunction && failback.backupVault) {
    outputs.BackupWatchFunctionName = [failback.backupWatchFunction.functionName,
      'The scheduled RPO watch of the copies in the DR region (invoke it by hand with {})'];
    outputs.BackupVaultName = [failback.backupVault.ref, "This region's backup vault (the copies go to BackupCopyVaultArn)"];
  }
  for (const [name, [value, description]] of Object.entries(outputs)) {
    new CfnOutput(stack, name, { value, description });
  }
}
