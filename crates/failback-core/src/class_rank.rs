//! Ranks DB instance classes by memory, so "is the writer big enough" is one comparison.

/// Memory of a class in MiB; known classes from the documented table, others estimated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClassCapacity {
    pub memory_mib: u64,
    pub documented: bool,
}

/// The largest size multiple (`<N>xlarge`) that counts as a class at all. The largest
/// Aurora size today is 48xlarge; the bound leaves room for larger ones while keeping
/// every product below far from overflow (64 GiB per large x 8 x 512 fits in 26 bits).
pub const MAX_SIZE_MULTIPLE: u64 = 512;

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

/// The `<N>xlarge` multiples AWS sells (2xlarge, 4xlarge, ... 48xlarge); a known family
/// offers these up to its largest size, and no other (there is no `3xlarge`).
const SIZE_MULTIPLES_SOLD: &[u64] = &[2, 4, 8, 12, 16, 24, 32, 48];

/// Aurora Serverless v2: its capacity scales, so it has no size to compare.
pub const SERVERLESS_CLASS: &str = "db.serverless";

/// Why a string is not a class whose size can be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClassError {
    #[error("is not an instance class such as \"db.r6g.2xlarge\"")]
    NotAClass,
    #[error("has no fixed size")]
    NoFixedSize,
    #[error("has a size larger than {MAX_SIZE_MULTIPLE}xlarge, which no instance class has")]
    SizeOutOfRange,
    #[error("is not a size that {family} offers ({offered})")]
    SizeNotOffered { family: String, offered: String },
}

/// Sizes as quarters of a `large`: small = 1, medium = 2, large = 4, xlarge = 8, 4xlarge = 32.
fn size_in_quarter_larges(size: &str) -> Result<u64, ClassError> {
    match size {
        "micro" => Ok(1), // rounds up: 1/8 of a large is below our unit, still the smallest
        "small" => Ok(1),
        "medium" => Ok(2),
        "large" => Ok(4),
        "xlarge" => Ok(8),
        _ => {
            let digits = size.strip_suffix("xlarge").ok_or(ClassError::NoFixedSize)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ClassError::NoFixedSize);
            }
            // Judge the length first: a number too long for u64 is out of range, not unparsable.
            if digits.len() > 4 {
                return Err(ClassError::SizeOutOfRange);
            }
            let multiple: u64 = digits.parse().map_err(|_| ClassError::NoFixedSize)?;
            if multiple == 0 {
                return Err(ClassError::NoFixedSize);
            }
            if multiple > MAX_SIZE_MULTIPLE {
                return Err(ClassError::SizeOutOfRange);
            }
            multiple.checked_mul(8).ok_or(ClassError::SizeOutOfRange)
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
/// (`db.serverless`), is not a class at all, or is beyond any size that exists.
pub fn class_capacity(class: &str) -> Option<ClassCapacity> {
    measure_class(class).ok()
}

/// Like [`class_capacity`], and says why a class cannot be measured.
pub fn measure_class(class: &str) -> Result<ClassCapacity, ClassError> {
    if class == SERVERLESS_CLASS {
        return Err(ClassError::NoFixedSize);
    }
    if !is_class_name(class) {
        return Err(ClassError::NotAClass);
    }
    let (family, size) = split_class(class).ok_or(ClassError::NotAClass)?;
    let quarters = size_in_quarter_larges(size)?;
    let known = FAMILIES.iter().find(|(name, _, _)| *name == family);
    let (gib_per_large, documented) = match known {
        Some((_, gib, max_xlarge)) => (*gib, family_offers(quarters, *max_xlarge)),
        None => (estimated_gib_per_large(family), false),
    };
    let memory_mib = gib_per_large
        .checked_mul(1024)
        .and_then(|mib| mib.checked_mul(quarters))
        .map(|mib| mib / 4)
        .ok_or(ClassError::SizeOutOfRange)?;
    Ok(ClassCapacity {
        memory_mib,
        documented,
    })
}

/// A class a person or a tag may ask for: measurable, and for a family in the table one
/// of the sizes that family offers (a typo such as `db.r6g.3xlarge` is caught here,
/// before a run takes its lease, not by AWS after it).
pub fn check_requested_class(class: &str) -> Result<ClassCapacity, ClassError> {
    let capacity = measure_class(class)?;
    let family = split_class(class).map(|(f, _)| f).unwrap_or_default();
    match FAMILIES.iter().find(|(name, _, _)| *name == family) {
        Some((_, _, max_xlarge)) if !capacity.documented => Err(ClassError::SizeNotOffered {
            family: format!("db.{family}"),
            offered: offered_sizes(*max_xlarge),
        }),
        _ => Ok(capacity),
    }
}

fn family_offers(quarters: u64, max_xlarge: u64) -> bool {
    if max_xlarge == 0 {
        // Burstable families: medium and large only.
        return (2..=4).contains(&quarters);
    }
    quarters == 4
        || quarters == 8
        || SIZE_MULTIPLES_SOLD
            .iter()
            .any(|m| *m <= max_xlarge && m.checked_mul(8) == Some(quarters))
}

fn offered_sizes(max_xlarge: u64) -> String {
    if max_xlarge == 0 {
        return "medium, large".into();
    }
    let mut sizes = vec!["large".to_string(), "xlarge".to_string()];
    sizes.extend(
        SIZE_MULTIPLES_SOLD
            .iter()
            .filter(|m| **m <= max_xlarge)
            .map(|m| format!("{m}xlarge")),
    );
    sizes.join(", ")
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
    fn sizes_beyond_any_class_are_refused_not_wrapped() {
        let cases = [
            ("db.r6g.1000000000000000xlarge", ClassError::SizeOutOfRange),
            (
                "db.r6g.2305843009213693952xlarge",
                ClassError::SizeOutOfRange,
            ),
            ("db.x2iedn.99999999999999xlarge", ClassError::SizeOutOfRange),
            ("db.r6g.99999999999999xlarge", ClassError::SizeOutOfRange),
            ("db.r6g.18446744073709551616xlarge", ClassError::NotAClass), // 33 characters
            ("db.r6g.513xlarge", ClassError::SizeOutOfRange),
            ("db.r6g.0xlarge", ClassError::NoFixedSize),
            ("db.serverless", ClassError::NoFixedSize),
        ];
        for (class, expected) in cases {
            assert_eq!(measure_class(class), Err(expected.clone()), "{class}");
            assert!(!has_at_least(class, "db.r6g.large"), "{class}");
            assert!(!has_at_least("db.r6g.large", class), "{class}");
        }
        let largest = measure_class("db.x2iedn.512xlarge").map(|c| c.memory_mib);
        assert_eq!(largest, Ok(64 * 1024 * 512 * 2));
    }

    #[test]
    fn requested_classes_must_be_sizes_the_family_offers() {
        assert!(check_requested_class("db.r6g.2xlarge").is_ok());
        assert!(check_requested_class("db.r7i.48xlarge").is_ok());
        assert!(check_requested_class("db.t4g.medium").is_ok());
        // unknown families are judged by AWS (orderable options), not here
        assert!(check_requested_class("db.m5.4xlarge").is_ok());
        for class in [
            "db.r6g.3xlarge",
            "db.r6g.32xlarge",
            "db.t3.xlarge",
            "db.r6g.small",
        ] {
            match check_requested_class(class) {
                Err(ClassError::SizeNotOffered { family, offered }) => {
                    assert!(class.starts_with(&family), "{class}: {family}");
                    assert!(offered.contains("large"), "{offered}");
                }
                other => panic!("{class}: {other:?}"),
            }
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
