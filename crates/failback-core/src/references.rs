//! The lookups a DR payload's references need: CloudFormation exports and SSM
//! parameters of the machine's region. Reads only.

use std::collections::{BTreeMap, BTreeSet};

use crate::errors::AwsFailure;

/// GetParameters takes at most this many names per call.
const SSM_NAMES_PER_CALL: usize = 10;

#[derive(Debug, Clone)]
pub struct References {
    cloudformation: aws_sdk_cloudformation::Client,
    ssm: aws_sdk_ssm::Client,
}

impl References {
    pub fn new(cloudformation: aws_sdk_cloudformation::Client, ssm: aws_sdk_ssm::Client) -> Self {
        Self {
            cloudformation,
            ssm,
        }
    }

    pub fn from_conf(config: &aws_config::SdkConfig) -> Self {
        Self::new(
            aws_sdk_cloudformation::Client::new(config),
            aws_sdk_ssm::Client::new(config),
        )
    }

    /// Every export of the region, name to value, across all pages of ListExports.
    pub async fn exports(&self) -> Result<BTreeMap<String, String>, AwsFailure> {
        let exports: Result<Vec<_>, _> = self
            .cloudformation
            .list_exports()
            .into_paginator()
            .items()
            .send()
            .collect()
            .await;
        Ok(exports
            .map_err(|e| AwsFailure::from_sdk(&e))?
            .into_iter()
            .filter_map(|e| Some((e.name?, e.value?)))
            .collect())
    }

    /// The named SSM parameters that exist, decrypted (SecureString included), name to
    /// value; a name that does not exist is simply absent from the answer.
    pub async fn ssm_parameters(
        &self,
        names: &BTreeSet<String>,
    ) -> Result<BTreeMap<String, String>, AwsFailure> {
        let names: Vec<&String> = names.iter().collect();
        let mut found = BTreeMap::new();
        for batch in names.chunks(SSM_NAMES_PER_CALL) {
            let answer = self
                .ssm
                .get_parameters()
                .set_names(Some(batch.iter().map(|n| n.to_string()).collect()))
                .with_decryption(true)
                .send()
                .await
                .map_err(|e| AwsFailure::from_sdk(&e))?;
            for parameter in answer.parameters() {
                if let (Some(name), Some(value)) = (parameter.name(), parameter.value()) {
                    found.insert(name.to_string(), value.to_string());
                }
            }
        }
        Ok(found)
    }
}
