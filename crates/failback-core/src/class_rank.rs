//! Ranks DB instance classes by memory, so "is the writer big enough" is one comparison.

/// Memory of a class in MiB; known classes from the documented table, others estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClassCapacity {
    pub memory_mib: u64,
    pub documented: bool,
}

/// Aurora provisioned families: (family, GiB of memory per `large`, largest size in
/// multiples of `xlarge`). Source: the Aurora User Guide's DB instance class tables.
const FAMILIES: &[(&str, u64, u64)] = &[
    ("t3", 8, 0),
    ("t4g", 8, 0),
    ("r5", 16, 24),
    ("r6g", 16, 16),
    ("r6gd", 16, 16),
    ("r6i", 16, 32),
    ("r6id", 16, 32),
    ("r7g", 16, 16),
    ("r7i", 16, 48),
    ("r8g", 16, 48),
    ("x2g", 32, 16),
    ("x2iedn", 64, 32),
];

/// Sizes as quarters of a `large`: small = 1, medium = 2, large = 4, xlarge = 8, 4xlarge = 32.
fn size_in_quarter_larges(size: &str) -> Option<u64> {
    match size {
        "micro" => Some(1), // rounds up: 1/8 of a large is below our unit, still the smallest
        "small" => Some(1),
        "medium" => Some(2),
        "large" => Some(4),
        "xlarge" => Some(8),
        _ => {
            let multiple: u64 = size.strip_suffix("xlarge")?.parse().ok()?;
            (multiple > 0).then_some(multiple * 8)
        }
    }
}

fn split_class(class: &str) -> Option<(&str, &str)> {
    let rest = class.strip_prefix("db.")?;
    let (family, size) = rest.split_once('.')?;
    let well_formed = |part: &str| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    };
    (well_formed(family) && well_formed(size)).then_some((family, size))
}

/// True for strings shaped like an instance class (`db.<family>.<size>`), known or not.
pub fn is_class_name(class: &str) -> bool {
    class.len() <= 32 && split_class(class).is_some()
}

/// The capacity of a class: documented memory for the families Aurora offers;
/// otherwise an estimate from the size suffix (16 GiB per `large`, the memory-optimised
/// ratio, or the family letter's usual ratio). `None` for what has no fixed size
/// (`db.serverless`) or is not a class at all.
pub fn class_capacity(class: &str) -> Option<ClassCapacity> {
    let (family, size) = split_class(class)?;
    let quarters = size_in_quarter_larges(size)?;
    let known = FAMILIES.iter().find(|(name, _, _)| *name == family);
    let (gib_per_large, documented) = match known {
        Some((_, gib, max_xlarge)) => {
            let burstable = *max_xlarge == 0;
            let fits = if burstable {
                (2..=4).contains(&quarters)
            } else {
                (4..=max_xlarge * 8).contains(&quarters)
            };
            (*gib, fits)
        }
        None => (estimated_gib_per_large(family), false),
    };
    Some(ClassCapacity {
        memory_mib: gib_per_large * 1024 * quarters / 4,
        documented,
    })
}

fn estimated_gib_per_large(family: &str) -> u64 {
    match family.chars().next() {
        Some('x') => 32,
        Some('t') | Some('m') => 8,
        Some('c') => 4,
        _ => 16,
    }
}

/// True when `current` has at least the memory of `desired`. A class whose capacity is
/// unknown never counts as big enough.
pub fn has_at_least(current: &str, desired: &str) -> bool {
    match (class_capacity(current), class_capacity(desired)) {
        (Some(have), Some(want)) => have.memory_mib >= want.memory_mib,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gib(class: &str) -> Option<(u64, bool)> {
        class_capacity(class).map(|c| (c.memory_mib / 1024, c.documented))
    }

    #[test]
    fn documented_classes_rank_by_their_memory() {
        let cases = [
            ("db.t3.medium", Some((4, true))),
            ("db.t4g.large", Some((8, true))),
            ("db.r5.large", Some((16, true))),
            ("db.r6g.large", Some((16, true))),
            ("db.r6g.xlarge", Some((32, true))),
            ("db.r6g.2xlarge", Some((64, true))),
            ("db.r6g.16xlarge", Some((512, true))),
            ("db.r6i.32xlarge", Some((1024, true))),
            ("db.r7i.48xlarge", Some((1536, true))),
            ("db.x2g.large", Some((32, true))),
            ("db.x2g.16xlarge", Some((1024, true))),
            ("db.x2iedn.xlarge", Some((128, true))),
            // sizes a known family does not offer are estimates, not documented
            ("db.r6g.32xlarge", Some((1024, false))),
            ("db.t3.xlarge", Some((16, false))),
            // unknown families: estimated from the size suffix
            ("db.r9g.4xlarge", Some((128, false))),
            ("db.x9.large", Some((32, false))),
            ("db.m5.2xlarge", Some((32, false))),
            // no fixed size, or not a class
            ("db.serverless", None),
            ("db.r6g", None),
            ("r6g.large", None),
            ("db.r6g.0xlarge", None),
            ("db.r6g.bigxlarge", None),
            ("db.R6G.large", None),
            ("", None),
        ];
        for (class, expected) in cases {
            assert_eq!(gib(class), expected, "{class}");
        }
    }

    #[test]
    fn at_least_compares_memory_across_families() {
        let cases = [
            ("db.r6g.2xlarge", "db.r6g.2xlarge", true),
            ("db.r7g.2xlarge", "db.r6g.2xlarge", true), // same memory, newer family
            ("db.r6g.large", "db.r6g.2xlarge", false),
            ("db.r6g.4xlarge", "db.r6g.2xlarge", true),
            ("db.x2g.xlarge", "db.r6g.2xlarge", true), // 64 GiB either way
            ("db.t4g.medium", "db.r6g.large", false),
            ("db.serverless", "db.r6g.large", false),
            ("db.r6g.large", "db.serverless", false),
            ("db.r9g.8xlarge", "db.r6g.4xlarge", true),
        ];
        for (current, desired, expected) in cases {
            assert_eq!(
                has_at_least(current, desired),
                expected,
                "{current} vs {desired}"
            );
        }
    }

    #[test]
    fn class_names_are_recognised_by_shape() {
        assert!(is_class_name("db.r6g.2xlarge"));
        assert!(!is_class_name("db.serverless"));
        assert!(!is_class_name("db.r6g.2xlarge; rm -rf"));
        assert!(!is_class_name("db..large"));
    }
}
