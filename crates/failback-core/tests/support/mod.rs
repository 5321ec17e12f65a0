//! A moto server on 127.0.0.1 shared by the tests of one test binary, and the demo
//! cluster they work on. Tests take turns (moto's state is global) and each starts
//! from a reset server.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_rds::types::Tag;
use failback_core::ledger::Ledger;
use failback_core::model::{TAG_ENABLED, TAG_WRITER_CLASS};
use failback_core::rds::Rds;
use tokio::sync::{Mutex, MutexGuard};

pub const REGION: &str = "us-east-1";
pub const TABLE: &str = "aurora-failback-ledger";
pub const CLUSTER: &str = "orders";

struct MotoServer {
    port: u16,
    // Holding the child's stdin open keeps the server alive; when this process exits
    // the pipe closes and moto_lifeline.py stops the server.
    _child: Child,
}

static SERVER: OnceLock<MotoServer> = OnceLock::new();
static TURN: Mutex<()> = Mutex::const_new(());

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The venv's Python, which has moto.
pub fn python() -> PathBuf {
    let python = std::env::var_os("AURORA_FAILBACK_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".tools/venv/bin/python"));
    assert!(
        python.exists(),
        "{} is missing: run `make test` or `tools/bootstrap.sh` to install moto",
        python.display()
    );
    python
}

fn start_server() -> MotoServer {
    let (port, child) = start_lifeline(
        &[workspace_root()
            .join("tools/moto_lifeline.py")
            .display()
            .to_string()],
        &[],
    );
    MotoServer {
        port,
        _child: child,
    }
}

/// Starts a Python script that prints `port N` when ready and exits when its stdin
/// closes (moto_lifeline.py, fault_proxy.py). The child lives as long as the returned handle.
pub fn start_lifeline(args: &[String], env: &[(&str, &str)]) -> (u16, Child) {
    let mut child = Command::new(python())
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("moto stdout"))
        .read_line(&mut line)
        .expect("read moto's port");
    let port = line
        .trim()
        .strip_prefix("port ")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| {
            panic!("moto did not report its port: {line:?}");
        });
    (port, child)
}

/// A raw HTTP/1.1 POST to moto's control API (reset, config); no client crate needed.
pub fn moto_post(port: u16, path: &str, body: &str) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to moto");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("write to moto");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read from moto");
    assert!(
        response.starts_with("HTTP/1.1 20") || response.starts_with("HTTP/1.0 20"),
        "{path}: {response}"
    );
}

pub struct TestEnv {
    pub config: SdkConfig,
    /// moto's port on 127.0.0.1.
    pub port: u16,
    pub rds_client: aws_sdk_rds::Client,
    pub rds: Rds,
    pub ledger: Ledger,
    pub dynamodb: aws_sdk_dynamodb::Client,
    _turn: MutexGuard<'static, ()>,
}

impl TestEnv {
    /// Waits for this test's turn, resets moto and creates the ledger table.
    pub async fn start() -> Self {
        let turn = TURN.lock().await;
        let port = SERVER.get_or_init(start_server).port;
        moto_post(port, "/moto-api/reset", "");
        let config = aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .region(Region::new(REGION))
            .credentials_provider(aws_sdk_rds::config::Credentials::new(
                "testing", "testing", None, None, "tests",
            ))
            .load()
            .await;
        let dynamodb = aws_sdk_dynamodb::Client::new(&config);
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .unwrap()
        };
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        dynamodb
            .create_table()
            .table_name(TABLE)
            .key_schema(key("clusterId", KeyType::Hash))
            .key_schema(key("recordKey", KeyType::Range))
            .attribute_definitions(attribute("clusterId"))
            .attribute_definitions(attribute("recordKey"))
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await
            .expect("create the ledger table");
        let rds_client = aws_sdk_rds::Client::new(&config);
        Self {
            rds: Rds::new(rds_client.clone()),
            ledger: Ledger::new(dynamodb.clone(), TABLE),
            rds_client,
            dynamodb,
            config,
            port,
            _turn: turn,
        }
    }

    /// A standalone RDS for MySQL instance, through `client` (so in its region).
    pub async fn mysql_instance(&self, client: &aws_sdk_rds::Client, id: &str) {
        client
            .create_db_instance()
            .db_instance_identifier(id)
            .engine("mysql")
            .db_instance_class("db.r6g.large")
            .allocated_storage(20)
            .master_username("app")
            .master_user_password("not-a-real-password")
            .send()
            .await
            .expect("create a MySQL instance");
    }

    /// The DR steps' services (RDS, ElastiCache, CloudWatch) in us-east-1.
    pub fn dr(&self) -> failback_core::dr::observe::DrServices {
        failback_core::dr::observe::DrServices::from_conf(&self.config)
    }

    /// The same moto, seen from the DR region.
    pub fn west_config(&self) -> SdkConfig {
        self.config
            .clone()
            .into_builder()
            .region(Region::new("us-west-2"))
            .build()
    }

    /// Two global databases: primary clusters in us-east-1, secondaries in us-west-2.
    pub async fn global_databases(&self, ids: &[&str]) {
        let west = aws_sdk_rds::Client::new(&self.west_config());
        for id in ids {
            self.rds_client
                .create_global_cluster()
                .global_cluster_identifier(*id)
                .engine("aurora-mysql")
                .engine_version("8.0.mysql_aurora.3.05.2")
                .send()
                .await
                .expect("create global cluster");
            for (client, cluster) in [
                (&self.rds_client, format!("{id}-east")),
                (&west, format!("{id}-west")),
            ] {
                client
                    .create_db_cluster()
                    .db_cluster_identifier(&cluster)
                    .engine("aurora-mysql")
                    .engine_version("8.0.mysql_aurora.3.05.2")
                    .global_cluster_identifier(*id)
                    .master_username("app")
                    .master_user_password("not-a-real-password")
                    .send()
                    .await
                    .expect("create member cluster");
                client
                    .create_db_instance()
                    .db_instance_identifier(format!("{cluster}-1"))
                    .db_cluster_identifier(&cluster)
                    .engine("aurora-mysql")
                    .db_instance_class("db.r6g.large")
                    .send()
                    .await
                    .expect("create member instance");
            }
        }
    }

    /// The demo cluster: writer `orders-1` (db.r6g.2xlarge, configured like a production
    /// writer), readers `orders-2` and `orders-3` (db.r6g.large). `cluster_tags` are the
    /// cluster's tags.
    pub async fn demo_cluster(&self, cluster_tags: &[(&str, &str)]) {
        let tags = cluster_tags
            .iter()
            .map(|(k, v)| Tag::builder().key(*k).value(*v).build());
        self.rds_client
            .create_db_cluster()
            .db_cluster_identifier(CLUSTER)
            .engine("aurora-postgresql")
            .engine_version("15.2") // a version in moto's orderable-options table
            .master_username("app")
            .master_user_password("not-a-real-password")
            .set_tags(Some(tags.collect()))
            .send()
            .await
            .expect("create cluster");
        self.instance("orders-1", "db.r6g.2xlarge", "us-east-1a", 0)
            .await;
        self.instance("orders-2", "db.r6g.large", "us-east-1b", 1)
            .await;
        self.instance("orders-3", "db.r6g.large", "us-east-1c", 1)
            .await;
    }

    pub async fn instance(&self, id: &str, class: &str, zone: &str, tier: i32) {
        self.rds_client
            .create_db_instance()
            .db_instance_identifier(id)
            .db_cluster_identifier(CLUSTER)
            .engine("aurora-postgresql")
            .db_instance_class(class)
            .availability_zone(zone)
            .promotion_tier(tier)
            .auto_minor_version_upgrade(false)
            .monitoring_interval(60)
            .monitoring_role_arn("arn:aws:iam::123456789012:role/rds-monitoring")
            .enable_performance_insights(true)
            .performance_insights_retention_period(7)
            .publicly_accessible(false)
            .tags(Tag::builder().key("team").value("payments").build())
            .send()
            .await
            .unwrap_or_else(|e| panic!("create instance {id}: {e:?}"));
    }

    /// What an unplanned failover leaves behind: small `orders-2` is the writer.
    pub async fn fail_over_to_small_reader(&self) {
        self.rds_client
            .failover_db_cluster()
            .db_cluster_identifier(CLUSTER)
            .target_db_instance_identifier("orders-2")
            .send()
            .await
            .expect("failover to the small reader");
    }

    /// The opted-in demo cluster (writer class tag db.r6g.2xlarge) after a failover to
    /// the small reader, its old writer deleted: a run must create a reader.
    pub async fn old_writer_gone(&self) {
        self.demo_cluster(&[(TAG_ENABLED, "true"), (TAG_WRITER_CLASS, "db.r6g.2xlarge")])
            .await;
        self.fail_over_to_small_reader().await;
        self.rds_client
            .delete_db_instance()
            .db_instance_identifier("orders-1")
            .send()
            .await
            .expect("delete the old writer");
    }

    pub async fn writer(&self) -> (String, String) {
        let cluster = self
            .rds
            .cluster(CLUSTER)
            .await
            .unwrap()
            .expect("cluster exists");
        let writer = cluster.writer().expect("cluster has a writer");
        (writer.instance_id.clone(), writer.class.clone())
    }

    /// Every instance of the account with class, tier and writer flag: compare before
    /// and after to show that nothing changed.
    pub async fn topology(&self) -> Vec<String> {
        let mut rows = Vec::new();
        let clusters = self.rds_client.describe_db_clusters().send().await.unwrap();
        for cluster in clusters.db_clusters() {
            for member in cluster.db_cluster_members() {
                rows.push(format!(
                    "{}/{} writer={} tier={:?}",
                    cluster.db_cluster_identifier().unwrap_or_default(),
                    member.db_instance_identifier().unwrap_or_default(),
                    member.is_cluster_writer().unwrap_or_default(),
                    member.promotion_tier()
                ));
            }
        }
        let instances = self
            .rds_client
            .describe_db_instances()
            .send()
            .await
            .unwrap();
        for instance in instances.db_instances() {
            rows.push(format!(
                "{} {} {}",
                instance.db_instance_identifier().unwrap_or_default(),
                instance.db_instance_class().unwrap_or_default(),
                instance.db_instance_status().unwrap_or_default()
            ));
        }
        rows.sort();
        rows
    }
}

pub fn read_event(name: &str) -> serde_json::Value {
    let path = workspace_root().join("events").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Where the Lambdas under test run: the account and region moto's ARNs name.
pub fn home() -> failback_core::trigger::Home {
    failback_core::trigger::Home::from_function_arn(
        "arn:aws:lambda:us-east-1:123456789012:function:aurora-failback",
    )
    .unwrap_or_else(|e| panic!("{e}"))
}
