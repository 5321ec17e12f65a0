//! RDS identifier rules and the deterministic name of a replacement instance.

use std::fmt;

/// RDS limit for DB instance and DB cluster identifiers.
pub const MAX_IDENTIFIER_LEN: usize = 63;

/// Marks instances this tool created, between the cluster part and the run hash.
const REPLACEMENT_MARKER: &str = "-fb-";
const RUN_HASH_LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifierError {
    Empty,
    TooLong(usize),
    FirstNotLetter,
    InvalidCharacter(char),
    DoubleHyphen,
    TrailingHyphen,
}

impl fmt::Display for IdentifierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "is empty"),
            Self::TooLong(len) => {
                write!(f, "has {len} characters, more than {MAX_IDENTIFIER_LEN}")
            }
            Self::FirstNotLetter => write!(f, "does not start with a letter"),
            Self::InvalidCharacter(c) => {
                write!(
                    f,
                    "contains {c:?}; only letters, digits and hyphens are allowed"
                )
            }
            Self::DoubleHyphen => write!(f, "contains two consecutive hyphens"),
            Self::TrailingHyphen => write!(f, "ends with a hyphen"),
        }
    }
}

/// Checks a DB cluster or instance identifier against the RDS rules and returns it
/// lowercased, as RDS stores it.
pub fn validate_identifier(raw: &str) -> Result<String, IdentifierError> {
    if raw.is_empty() {
        return Err(IdentifierError::Empty);
    }
    let length = raw.chars().count();
    if length > MAX_IDENTIFIER_LEN {
        return Err(IdentifierError::TooLong(length));
    }
    if let Some(bad) = raw
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(IdentifierError::InvalidCharacter(bad));
    }
    if !raw.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(IdentifierError::FirstNotLetter);
    }
    if raw.contains("--") {
        return Err(IdentifierError::DoubleHyphen);
    }
    if raw.ends_with('-') {
        return Err(IdentifierError::TrailingHyphen);
    }
    Ok(raw.to_ascii_lowercase())
}

/// The identifier of the instance a run creates: `<cluster>-fb-<hash of run>`.
///
/// The same cluster and run always give the same name, which is what makes
/// create-reader safe to retry. The cluster part is cut so the whole fits in 63
/// characters, and any hyphens the cut leaves at its end are dropped.
pub fn replacement_instance_id(cluster_id: &str, run_name: &str) -> String {
    let suffix = format!("{REPLACEMENT_MARKER}{}", short_hash(run_name));
    let room = MAX_IDENTIFIER_LEN - suffix.len();
    let mut prefix: String = cluster_id
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(room)
        .collect();
    while prefix.contains("--") {
        prefix = prefix.replace("--", "-");
    }
    let prefix = prefix.trim_end_matches('-');
    if prefix.starts_with(|c: char| c.is_ascii_alphabetic()) {
        format!("{prefix}{suffix}")
    } else {
        // Only reachable for a cluster id that RDS itself would reject; still yield a valid name.
        format!(
            "fb-{}{suffix}",
            prefix.trim_start_matches(|c: char| !c.is_ascii_alphabetic())
        )
        .replace("--", "-")
    }
}

/// How many instances one run may create: the first, and a replacement each time one
/// AWS accepted ends `insufficient-capacity` (each in another zone or class).
pub const MAX_PLACEMENTS: u8 = 4;

/// The identifier of a run's `placement`th instance: the first is
/// [`replacement_instance_id`]; a replacement hashes `<run>#<n>`, which no run name can
/// equal (run names have no `#`), so it is as stable on retry and never another run's.
pub fn placement_instance_id(cluster_id: &str, run_name: &str, placement: u8) -> String {
    if placement <= 1 {
        replacement_instance_id(cluster_id, run_name)
    } else {
        replacement_instance_id(cluster_id, &format!("{run_name}#{placement}"))
    }
}

/// Which of the run's placements `instance_id` is, if it is one of them.
pub fn placement_of(cluster_id: &str, run_name: &str, instance_id: &str) -> Option<u8> {
    (1..=MAX_PLACEMENTS).find(|n| placement_instance_id(cluster_id, run_name, *n) == instance_id)
}

/// Eight hex digits of the 64-bit FNV-1a hash of `text`: short, stable across releases
/// and platforms (unlike `std`'s hasher). Names derived from it are deterministic.
pub fn short_hash(text: &str) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let hash = text.bytes().fold(OFFSET, |acc, byte| {
        (acc ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    format!("{:0width$x}", hash >> 32, width = RUN_HASH_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_follows_the_rds_rules() {
        let cases: &[(&str, Result<&str, IdentifierError>)] = &[
            ("orders", Ok("orders")),
            ("Orders-Prod-1", Ok("orders-prod-1")),
            ("a", Ok("a")),
            ("", Err(IdentifierError::Empty)),
            ("1orders", Err(IdentifierError::FirstNotLetter)),
            ("-orders", Err(IdentifierError::FirstNotLetter)),
            ("orders--prod", Err(IdentifierError::DoubleHyphen)),
            ("orders-", Err(IdentifierError::TrailingHyphen)),
            ("orders_prod", Err(IdentifierError::InvalidCharacter('_'))),
            ("orders;drop", Err(IdentifierError::InvalidCharacter(';'))),
            ("orders prod", Err(IdentifierError::InvalidCharacter(' '))),
            ("ordérs", Err(IdentifierError::InvalidCharacter('é'))),
            ("../../etc", Err(IdentifierError::InvalidCharacter('.'))),
        ];
        for (raw, expected) in cases {
            let got = validate_identifier(raw);
            assert_eq!(got.as_deref(), expected.as_deref(), "{raw:?}");
        }
        assert_eq!(
            validate_identifier(&"a".repeat(63)).map(|s| s.len()),
            Ok(63)
        );
        assert_eq!(
            validate_identifier(&"a".repeat(64)),
            Err(IdentifierError::TooLong(64))
        );
    }

    #[test]
    fn replacement_ids_are_valid_deterministic_and_name_the_cluster() {
        let long = format!("a{}", "b-".repeat(40)); // cut lands next to a hyphen
        let cases = [
            "orders",
            "Orders-Prod",
            long.as_str(),
            &"x".repeat(63),
            "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t-u-v-w-x-y-z-0-1-2-3-4-5",
            "9starts-with-digit",
        ];
        for cluster in cases {
            for run in ["run-1", "7b0c9c1e-2f4d-4a55-9a0c-3d3e1f00a111", ""] {
                let id = replacement_instance_id(cluster, run);
                assert_eq!(
                    validate_identifier(&id).as_deref(),
                    Ok(id.as_str()),
                    "{cluster} {run}"
                );
                assert_eq!(id, replacement_instance_id(cluster, run), "deterministic");
                assert!(id.contains(REPLACEMENT_MARKER), "{id}");
            }
        }
        assert!(replacement_instance_id("orders", "r1").starts_with("orders-fb-"));
        assert_ne!(
            replacement_instance_id("orders", "run-1"),
            replacement_instance_id("orders", "run-2")
        );
    }

    #[test]
    fn each_placement_has_its_own_stable_name_and_is_recognised() {
        let names: Vec<String> = (1..=MAX_PLACEMENTS)
            .map(|n| placement_instance_id("orders", "run-1", n))
            .collect();
        assert_eq!(names[0], replacement_instance_id("orders", "run-1"));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(validate_identifier(name).as_deref(), Ok(name.as_str()));
            assert!(!names[..i].contains(name), "{name} repeats");
            assert_eq!(
                placement_of("orders", "run-1", name),
                u8::try_from(i + 1).ok()
            );
        }
        assert_eq!(placement_of("orders", "run-2", &names[1]), None);
        assert_eq!(placement_of("orders", "run-1", "orders-2"), None);
        assert_eq!(
            placement_of(
                "orders",
                "run-1",
                &placement_instance_id("orders", "run-1", MAX_PLACEMENTS + 1)
            ),
            None
        );
    }
}
