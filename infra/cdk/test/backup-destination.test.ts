// The cold standby's DR-region side: infra/backup-destination.yaml and BackupDestinationStack
// create the same key and vault. These tests read the template and compare it with the
// synthesised stack, as deployed by default and for a copy from another account.
import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ACCOUNT_ID_PATTERN, BackupDestinationStack, BackupDestinationStackProps, DEFAULT_COPY_VAULT_NAME, VAULT_NAME_PATTERN } from '../lib';
import {
  BACKUP_DESTINATION_TEMPLATE,
  Json,
  loadTemplate,
  normaliseIntrinsics,
  resolveSamConditions,
  resourcesOfType,
} from './support';

function synthDestination(props: BackupDestinationStackProps = {}) {
  const app = new App();
  const stack = new BackupDestinationStack(app, 'Destination', props);
  return { stack, json: Template.fromStack(stack).toJSON() };
}

/** The one resource of a type in a template. */
function only(template: Json, type: string): Json {
  const found = resourcesOfType(template, type);
  assert.equal(found.length, 1, type);
  return found[0][1];
}

/** A policy's statements as the tests compare them: intrinsics in Fn::Sub form, keys sorted. */
function statements(document: Json): Json[] {
  return normaliseIntrinsics(document.Statement);
}

const OTHER_ACCOUNT = '111111111111';
const THIS_ACCOUNT_ROOT = 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root';

describe('backup destination (DR region)', () => {
  const raw = loadTemplate(BACKUP_DESTINATION_TEMPLATE);
  const variants: Array<{ name: string; sam: Json; cdk: Json; source: string }> = [
    { name: 'defaults', sam: resolveSamConditions(raw), cdk: synthDestination().json, source: THIS_ACCOUNT_ROOT },
    {
      name: `SourceAccountId=${OTHER_ACCOUNT}`,
      sam: resolveSamConditions(raw, { SourceAccountId: OTHER_ACCOUNT }),
      cdk: synthDestination({ sourceAccountId: OTHER_ACCOUNT }).json,
      source: `arn:\${AWS::Partition}:iam::${OTHER_ACCOUNT}:root`,
    },
  ];

  it('creates one rotated, retained key and one vault encrypted with it, in both', () => {
    assert.equal(raw.Transform, undefined, 'plain CloudFormation: deployable with aws cloudformation deploy');
    for (const variant of variants) {
      for (const template of [variant.sam, variant.cdk]) {
        const key = only(template, 'AWS::KMS::Key');
        assert.equal(key.Properties.EnableKeyRotation, true, variant.name);
        assert.deepEqual([key.DeletionPolicy, key.UpdateReplacePolicy], ['Retain', 'Retain'], variant.name);
        const vault = only(template, 'AWS::Backup::BackupVault');
        assert.deepEqual([vault.DeletionPolicy, vault.UpdateReplacePolicy], ['Retain', 'Retain'], variant.name);
        const keyId = resourcesOfType(template, 'AWS::KMS::Key')[0][0];
        assert.deepEqual(vault.Properties.EncryptionKeyArn, { 'Fn::GetAtt': [keyId, 'Arn'] }, variant.name);
        // The name: the VaultName parameter in SAM, the vaultName prop (by default the parameter's default) in the CDK.
        assert.deepEqual(vault.Properties.BackupVaultName, template === variant.sam ? { Ref: 'VaultName' } : DEFAULT_COPY_VAULT_NAME,
          variant.name);
        const alias = only(template, 'AWS::KMS::Alias');
        assert.equal(normaliseIntrinsics(alias.Properties.AliasName), `alias/${DEFAULT_COPY_VAULT_NAME}`, variant.name);
      }
      assert.deepEqual(resourcesOfType(variant.sam, 'AWS::KMS::Key').length + resourcesOfType(variant.sam, 'AWS::Backup::BackupVault').length
        + resourcesOfType(variant.sam, 'AWS::KMS::Alias').length, Object.keys(variant.sam.Resources).length, 'nothing else');
    }
    assert.deepEqual(raw.Parameters.VaultName.Default, DEFAULT_COPY_VAULT_NAME);
  });

  it('lets the account administer the key, and the source account use it only through AWS Backup and RDS here, in both', () => {
    for (const variant of variants) {
      const sam = statements(only(variant.sam, 'AWS::KMS::Key').Properties.KeyPolicy);
      const cdk = statements(only(variant.cdk, 'AWS::KMS::Key').Properties.KeyPolicy);
      assert.deepEqual(sam, cdk, variant.name);
      assert.deepEqual(sam.map((s: Json) => s.Sid),
        ['AccountAdministersKeyThroughIam', 'SourceAccountEncryptsCopiesThroughBackupAndRdsOnly', 'SourceAccountGrantsToAwsServicesOnly']);
      assert.deepEqual(sam[0], { Sid: 'AccountAdministersKeyThroughIam', Effect: 'Allow', Principal: { AWS: THIS_ACCOUNT_ROOT },
        Action: 'kms:*', Resource: '*' });
      assert.deepEqual(sam[1].Principal, { AWS: variant.source }, variant.name);
      assert.deepEqual(sam[1].Condition, { StringEquals: { 'kms:ViaService':
        ['backup.${AWS::Region}.amazonaws.com', 'rds.${AWS::Region}.amazonaws.com'] } }, variant.name);
      assert.ok(!sam[1].Action.includes('kms:CreateGrant') && !sam[1].Action.some((a: string) => a.includes('*')), variant.name);
      assert.deepEqual([sam[2].Principal, sam[2].Action, sam[2].Condition],
        [{ AWS: variant.source }, 'kms:CreateGrant', { Bool: { 'kms:GrantIsForAWSResource': 'true' } }], variant.name);
    }
  });

  it('lets only the source account copy into the vault, in both', () => {
    for (const variant of variants) {
      const sam = statements(only(variant.sam, 'AWS::Backup::BackupVault').Properties.AccessPolicy);
      const cdk = statements(only(variant.cdk, 'AWS::Backup::BackupVault').Properties.AccessPolicy);
      assert.deepEqual(sam, cdk, variant.name);
      assert.deepEqual(sam, [{ Sid: 'SourceAccountCopiesIntoThisVault', Effect: 'Allow', Principal: { AWS: variant.source },
        Action: 'backup:CopyIntoBackupVault', Resource: '*' }], variant.name);
    }
  });

  it('outputs the vault ARN the main stack takes as BackupCopyVaultArn, and the key ARN, in both', () => {
    for (const variant of variants) {
      const cdkOutputs = variant.cdk.Outputs;
      assert.deepEqual(Object.keys(raw.Outputs).sort(), ['KeyArn', 'VaultArn']);
      assert.deepEqual(Object.keys(cdkOutputs).sort(), ['KeyArn', 'VaultArn']);
      assert.deepEqual(raw.Outputs.VaultArn.Value, { 'Fn::GetAtt': ['Vault', 'BackupVaultArn'] });
      const cdkVault = resourcesOfType(variant.cdk, 'AWS::Backup::BackupVault')[0][0];
      assert.deepEqual(cdkOutputs.VaultArn.Value, { 'Fn::GetAtt': [cdkVault, 'BackupVaultArn'] });
    }
  });

  it('takes the same parameters as the stack\'s props, with the same defaults and refusals', () => {
    const account = raw.Parameters.SourceAccountId;
    assert.deepEqual([account.Type, account.Default, account.AllowedPattern], ['String', '', `^$|${ACCOUNT_ID_PATTERN.source}`]);
    const name = raw.Parameters.VaultName;
    assert.deepEqual([name.Type, name.Default, name.AllowedPattern], ['String', DEFAULT_COPY_VAULT_NAME, VAULT_NAME_PATTERN.source]);
    for (const bad of ['1234', '12345678901a', ' 111111111111']) {
      assert.ok(!new RegExp(account.AllowedPattern).test(bad), bad);
      assert.throws(() => synthDestination({ sourceAccountId: bad }), /sourceAccountId must be a 12-digit account id/, bad);
    }
    for (const bad of ['a', 'a b', 'a/b', 'x'.repeat(51)]) {
      assert.ok(!new RegExp(name.AllowedPattern).test(bad), bad);
      assert.throws(() => synthDestination({ vaultName: bad }), /vaultName must be 2 to 50 letters/, bad);
    }
    const custom = synthDestination({ vaultName: 'dr_copies-2' });
    assert.equal(only(custom.json, 'AWS::Backup::BackupVault').Properties.BackupVaultName, 'dr_copies-2');
    assert.equal(only(custom.json, 'AWS::KMS::Alias').Properties.AliasName, 'alias/dr_copies-2');
    const samCustom = resolveSamConditions(raw, { VaultName: 'dr_copies-2' });
    assert.deepEqual(normaliseIntrinsics(only(samCustom, 'AWS::KMS::Alias').Properties.AliasName), 'alias/dr_copies-2');
  });
});
