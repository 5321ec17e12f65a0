//! The run ledger in DynamoDB: one lease item per cluster and one item per run.
//!
//! Keys: partition `clusterId`, sort `recordKey` = `lease` or `run#<run name>`.
//! Lease items carry `expiresAt` (epoch seconds), also the table's TTL attribute.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Number, Value};

use crate::dr::outcome::{resource_partition, DrResourceRecord, DrRunRecord};
use crate::errors::AwsFailure;
use crate::outcome::{Outcome, RunRecord};

const LEASE_KEY: &str = "lease";
const RUN_KEY_PREFIX: &str = "run#";

#[derive(Debug, Clone)]
pub struct Ledger {
    client: Client,
    table: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseOutcome {
    Acquired,
    HeldBy { execution_arn: String },
}

impl Ledger {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn from_conf(config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        Self::new(Client::new(config), table)
    }

    /// Takes the cluster's lease for the execution (ARN and name together) unless another
    /// live run holds it. The same execution taking it again succeeds, so a retried start
    /// is harmless; another name with the same ARN does not.
    pub async fn acquire_lease(
        &self,
        cluster_id: &str,
        execution_arn: &str,
        run_name: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<LeaseOutcome, AwsFailure> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("clusterId", s(cluster_id))
            .item("recordKey", s(LEASE_KEY))
            .item("executionArn", s(execution_arn))
            .item("runName", s(run_name))
            .item("acquiredAt", AttributeValue::N(now.to_string()))
            .item("expiresAt", AttributeValue::N(expires_at.to_string()))
            .condition_expression(
                "attribute_not_exists(clusterId) OR expiresAt < :now OR (executionArn = :me AND runName = :name)",
            )
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":me", s(execution_arn))
            .expression_attribute_values(":name", s(run_name))
            .send()
            .await;
        match put {
            Ok(_) => Ok(LeaseOutcome::Acquired),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let holder = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("clusterId", s(cluster_id))
                    .key("recordKey", s(LEASE_KEY))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| AwsFailure::from_sdk(&e))?;
                let execution_arn = holder
                    .item()
                    .and_then(|item| item.get("executionArn"))
                    .and_then(|v| v.as_s().ok())
                    .cloned()
                    .unwrap_or_else(|| "an unknown run".to_string());
                Ok(LeaseOutcome::HeldBy { execution_arn })
            }
            Err(err) => Err(AwsFailure::from_sdk(&err)),
        }
    }

    /// Gives the lease back if, and only if, this execution (ARN and name) holds it.
    pub async fn release_lease(
        &self,
        cluster_id: &str,
        execution_arn: &str,
        run_name: &str,
    ) -> Result<(), AwsFailure> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("clusterId", s(cluster_id))
            .key("recordKey", s(LEASE_KEY))
            .condition_expression("executionArn = :me AND runName = :name")
            .expression_attribute_values(":me", s(execution_arn))
            .expression_attribute_values(":name", s(run_name))
            .send()
            .await;
        match deleted {
            Err(err)
                if !err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(AwsFailure::from_sdk(&err))
            }
            _ => Ok(()),
        }
    }

    /// Writes the run's record where the run is new, or still running and recorded by
    /// this same execution; false where it is not (finished, or another execution's). A
    /// finished record is never overwritten.
    pub async fn put_run_if_open(&self, record: &RunRecord) -> Result<bool, AwsFailure> {
        self.put_if_open(run_item(record), &record.execution_arn)
            .await
    }

    /// A DR run's record, under the same rule as [`Ledger::put_run_if_open`].
    pub async fn put_dr_run_if_open(&self, record: &DrRunRecord) -> Result<bool, AwsFailure> {
        let item = record_item(record, &record.cluster_id, &record.run_name);
        self.put_if_open(item, &record.execution_arn).await
    }

    async fn put_if_open(
        &self,
        item: HashMap<String, AttributeValue>,
        execution_arn: &str,
    ) -> Result<bool, AwsFailure> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(
                "attribute_not_exists(recordKey) OR (executionArn = :me AND outcome = :running)",
            )
            .expression_attribute_values(":me", s(execution_arn))
            .expression_attribute_values(":running", s(Outcome::Running.as_str()))
            .send()
            .await;
        conditional(put.map(drop))
    }

    /// One resource of a DR run; a retry by the same execution may write it again, no
    /// other execution may. False where another execution's record is there.
    pub async fn put_dr_resource(&self, record: &DrResourceRecord) -> Result<bool, AwsFailure> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(record_item(
                record,
                &record.cluster_id,
                &record.run_name,
            )))
            .condition_expression("attribute_not_exists(recordKey) OR executionArn = :me")
            .expression_attribute_values(":me", s(&record.execution_arn))
            .send()
            .await;
        conditional(put.map(drop))
    }

    /// The record a DR run's layer wrote for the resource of `resource_key`.
    pub async fn dr_resource(
        &self,
        resource_key: &str,
        run_name: &str,
    ) -> Result<Option<DrResourceRecord>, AwsFailure> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("clusterId", s(&resource_partition(resource_key)))
            .key("recordKey", s(&format!("{RUN_KEY_PREFIX}{run_name}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk(&e))?;
        Ok(got.item().and_then(record_from_item))
    }

    /// Every run recorded for a cluster, newest first.
    pub async fn runs(&self, cluster_id: &str) -> Result<Vec<RunRecord>, AwsFailure> {
        let items: Result<Vec<_>, _> = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("clusterId = :c AND begins_with(recordKey, :run)")
            .expression_attribute_values(":c", s(cluster_id))
            .expression_attribute_values(":run", s(RUN_KEY_PREFIX))
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        Ok(newest_first(items.map_err(|e| AwsFailure::from_sdk(&e))?))
    }

    /// Every run recorded for any cluster, newest first.
    pub async fn all_runs(&self) -> Result<Vec<RunRecord>, AwsFailure> {
        let items: Result<Vec<_>, _> = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(recordKey, :run)")
            .expression_attribute_values(":run", s(RUN_KEY_PREFIX))
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        Ok(newest_first(items.map_err(|e| AwsFailure::from_sdk(&e))?))
    }

    /// The execution holding the cluster's lease, if any (expired or not).
    pub async fn lease_holder(&self, cluster_id: &str) -> Result<Option<String>, AwsFailure> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("clusterId", s(cluster_id))
            .key("recordKey", s(LEASE_KEY))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsFailure::from_sdk(&e))?;
        Ok(got
            .item()
            .and_then(|i| i.get("executionArn"))
            .and_then(|v| v.as_s().ok())
            .cloned())
    }
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn newest_first(items: Vec<HashMap<String, AttributeValue>>) -> Vec<RunRecord> {
    let mut runs: Vec<RunRecord> = items.iter().filter_map(run_from_item).collect();
    runs.sort_by(|a, b| b.started_at.cmp(&a.started_at));
    runs
}

/// True for a write that happened, false for one its condition refused.
fn conditional<E>(
    answer: Result<
        (),
        aws_sdk_dynamodb::error::SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
    >,
) -> Result<bool, AwsFailure>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    match answer {
        Ok(()) => Ok(true),
        Err(err) if err.code() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(err) => Err(AwsFailure::from_sdk(&err)),
    }
}

fn run_item(record: &RunRecord) -> HashMap<String, AttributeValue> {
    record_item(record, &record.cluster_id, &record.run_name)
}

/// A record as a ledger item: its scalar fields as attributes (nested data is kept as JSON
/// text by the record types), keyed by partition and `run#<run name>`.
fn record_item<T: Serialize>(
    record: &T,
    partition: &str,
    run_name: &str,
) -> HashMap<String, AttributeValue> {
    let Ok(Value::Object(fields)) = serde_json::to_value(record) else {
        return HashMap::new();
    };
    let mut item: HashMap<String, AttributeValue> = fields
        .into_iter()
        .filter_map(|(name, value)| {
            let attribute = match value {
                Value::String(text) => AttributeValue::S(text),
                Value::Number(number) => AttributeValue::N(number.to_string()),
                Value::Bool(flag) => AttributeValue::Bool(flag),
                _ => return None,
            };
            Some((name, attribute))
        })
        .collect();
    item.insert("clusterId".into(), s(partition));
    item.insert(
        "recordKey".into(),
        s(&format!("{RUN_KEY_PREFIX}{run_name}")),
    );
    item
}

fn run_from_item(item: &HashMap<String, AttributeValue>) -> Option<RunRecord> {
    record_from_item(item)
}

fn record_from_item<T: DeserializeOwned>(item: &HashMap<String, AttributeValue>) -> Option<T> {
    let fields: Map<String, Value> = item
        .iter()
        .filter_map(|(name, attribute)| {
            let value = match attribute {
                AttributeValue::S(text) => Value::String(text.clone()),
                // Whole numbers stay whole, so that integer fields read back.
                AttributeValue::N(number) => match number.parse::<i64>() {
                    Ok(whole) => Value::Number(whole.into()),
                    Err(_) => Value::Number(number.parse::<f64>().ok().and_then(Number::from_f64)?),
                },
                AttributeValue::Bool(flag) => Value::Bool(*flag),
                _ => return None,
            };
            Some((name.clone(), value))
        })
        .collect();
    serde_json::from_value(Value::Object(fields)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_records_survive_the_round_trip_through_attributes() {
        let record = RunRecord {
            cluster_id: "orders".into(),
            execution_arn: "arn:aws:states:us-east-1:1:execution:m:e1".into(),
            run_name: "e1".into(),
            outcome: Outcome::Restored,
            plan: Some(r#"{"action":"failback"}"#.into()),
            from_class: Some("db.r6g.large".into()),
            seconds_to_restore: Some(42.5),
            ..RunRecord::default()
        };
        let item = run_item(&record);
        assert_eq!(item.get("recordKey"), Some(&s("run#e1")));
        assert_eq!(
            item.get("secondsToRestore"),
            Some(&AttributeValue::N("42.5".into()))
        );
        assert!(!item.contains_key("error"), "absent fields are not written");
        assert_eq!(run_from_item(&item), Some(record));
    }
}
