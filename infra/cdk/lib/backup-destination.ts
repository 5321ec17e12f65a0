import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** The default name of the DR region's vault (the SAM parameter VaultName's default). */
export const DEFAULT_COPY_VAULT_NAME = 'aurora-failback-copies';
/** A backup vault's name: 2 to 50 letters, digits, hyphens and underscores. */
export const VAULT_NAME_PATTERN = /^[a-zA-Z0-9_-]{2,50}$/;
/** An AWS account id. */
export const ACCOUNT_ID_PATTERN = /^[0-9]{12}$/;

export interface BackupDestinationStackProps extends StackProps {
  /**
   * The account whose AWS Backup plan copies into this vault (the account of the
   * AuroraFailback stack). A copy from another account also needs cross-account backup
   * turned on in AWS Organizations.
   * @default - this stack's own account
   */
  readonly sourceAccountId?: string;

  /**
   * The backup vault's name (unique in the account and region).
   * @default 'aurora-failback-copies'
   */
  readonly vaultName?: string;
}

/**
 * The DR region's side of the cold standby: a KMS key (rotated, retained) and the backup
 * vault encrypted with it, which the AuroraFailback stack's AWS Backup plan copies into
 * (`backupCopyVaultArn` = this stack's VaultArn output). Deploy it in the DR region first.
 * The same resources as infra/backup-destination.yaml.
 */
export class BackupDestinationStack extends Stack {
  public readonly key: kms.Key;
  public readonly vault: backup.CfnBackupVault;

  constructor(scope: Construct, id: string, props: BackupDestinationStackProps = {}) {
    super(scope, id, props);
    const vaultName = props.vaultName ?? DEFAULT_COPY_VAULT_NAME;
    if (!VAULT_NAME_PATTERN.test(vaultName)) {
      throw new Error(`vaultName must be 2 to 50 letters, digits, hyphens and underscores, not ${JSON.stringify(vaultName)}`);
    }
    if (props.sourceAccountId !== undefined && !ACCOUNT_ID_PATTERN.test(props.sourceAccountId)) {
      throw new Error(`sourceAccountId must be a 12-digit account id, not ${JSON.stringify(props.sourceAccountId)}`);
    }
    const sourceAccount = new iam.AccountPrincipal(props.sourceAccountId ?? this.account);

    // AWS Backup re-encrypts each copy of an RDS or Aurora backup with the destination vault's
    // key (keys do not cross regions). Retained: the copies cannot be read without it.
    this.key = new kms.Key(this, 'Key', {
      description: 'aurora-failback backup copies in the DR region',
      enableKeyRotation: true,
      alias: `alias/${vaultName}`,
      removalPolicy: RemovalPolicy.RETAIN,
      policy: new iam.PolicyDocument({
        statements: [
          // The standard default statement: lets IAM policies in this account grant use of the
          // key (AWS Backup's role here, with the managed policy AWSBackupServiceRolePolicyForBackup).
          new iam.PolicyStatement({
            sid: 'AccountAdministersKeyThroughIam',
            principals: [new iam.AccountRootPrincipal()],
            actions: ['kms:*'],
            resources: ['*'], // in a key policy "*" means this key
          }),
          // The source account's principals (AWS Backup's role there, which makes the copy) may
          // use the key only through AWS Backup or RDS in this region; they still need an IAM
          // policy of their own that allows it.
          new iam.PolicyStatement({
            sid: 'SourceAccountEncryptsCopiesThroughBackupAndRdsOnly',
            principals: [sourceAccount],
            actions: [
              'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
              'kms:GenerateDataKey', 'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey',
            ],
            resources: ['*'],
            conditions: {
              StringEquals: { 'kms:ViaService': [`backup.${this.region}.amazonaws.com`, `rds.${this.region}.amazonaws.com`] },
            },
          }),
          // ... and hand a grant on it only to an AWS service.
          new iam.PolicyStatement({
            sid: 'SourceAccountGrantsToAwsServicesOnly',
            principals: [sourceAccount],
            actions: ['kms:CreateGrant'],
            resources: ['*'],
            conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
          }),
        ],
      }),
    });

    // The vault the AuroraFailback stack's plan copies into; only the source account may copy
    // into it. Retained: its copies are kept until they expire.
    this.vault = new backup.CfnBackupVault(this, 'Vault', {
      backupVaultName: vaultName,
      encryptionKeyArn: this.key.keyArn,
      accessPolicy: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({
          sid: 'SourceAccountCopiesIntoThisVault',
          principals: [sourceAccount],
          actions: ['backup:CopyIntoBackupVault'],
          resources: ['*'], // in a vault access policy "*" means this vault
        })],
      }).toJSON(),
    });
    this.vault.applyRemovalPolicy(RemovalPolicy.RETAIN);

    new CfnOutput(this, 'VaultArn', { value: this.vault.attrBackupVaultArn, description: 'Pass it to the main stack as BackupCopyVaultArn' });
    new CfnOutput(this, 'KeyArn', { value: this.key.keyArn, description: 'The KMS key of the copies (retained when the stack is deleted)' });
  }
}
