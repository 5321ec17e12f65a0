//! The one place that talks to the ElastiCache API: global datastores.

use aws_sdk_elasticache::Client;

use crate::errors::AwsFailure;
use crate::model::{CacheGlobalView, CacheMemberView};
use crate::rds::{global_switch_failure, GlobalSwitchFailure};

#[derive(Debug, Clone)]
pub struct ElastiCache {
    client: Client,
}

impl ElastiCache {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(Client::new(config))
    }

    /// The global datastore with its members' regions and roles; `None` if it does not
    /// exist. Answered by any region the datastore has a member in.
    pub async fn global_datastore(
        &self,
        global_group_id: &str,
    ) -> Result<Option<CacheGlobalView>, AwsFailure> {
        let described = self
            .client
            .describe_global_replication_groups()
            .global_replication_group_id(global_group_id)
            .show_member_info(true)
            .send()
            .await;
        let output = match described {
            Ok(output) => output,
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_global_replication_group_not_found_fault()) =>
            {
                return Ok(None)
            }
            Err(err) => return Err(AwsFailure::from_sdk(&err)),
        };
        Ok(output.global_replication_groups().first().map(|group| {
            let text = |value: Option<&str>| value.unwrap_or_default().to_string();
            CacheGlobalView {
                global_group_id: group
                    .global_replication_group_id()
                    .unwrap_or(global_group_id)
                    .to_string(),
                status: text(group.status()),
                members: group
                    .members()
                    .iter()
                    .map(|m| CacheMemberView {
                        replication_group_id: text(m.replication_group_id()),
                        region: text(m.replication_group_region()),
                        role: text(m.role()),
                        status: text(m.status()),
                    })
                    .collect(),
            }
        }))
    }

    /// Makes `replication_group_id` in `region` the datastore's primary. Sent once: a lost
    /// answer shows next time as the datastore `modifying`, or the target primary.
    pub async fn fail_over_global_datastore(
        &self,
        global_group_id: &str,
        region: &str,
        replication_group_id: &str,
    ) -> Result<(), GlobalSwitchFailure> {
        self.client
            .failover_global_replication_group()
            .global_replication_group_id(global_group_id)
            .primary_region(region)
            .primary_replication_group_id(replication_group_id)
            .customize()
            .config_override(
                aws_sdk_elasticache::config::Builder::default()
                    .retry_config(aws_sdk_elasticache::config::retry::RetryConfig::disabled()),
            )
            .send()
            .await
            .map(drop)
            .map_err(|err| {
                let (busy, gone) = err.as_service_error().map_or((false, false), |e| {
                    (
                        e.is_invalid_global_replication_group_state_fault(),
                        e.is_global_replication_group_not_found_fault(),
                    )
                });
                global_switch_failure(&err, busy, gone)
            })
    }
}
