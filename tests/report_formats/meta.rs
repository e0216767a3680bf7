//! Report formats: format names and ruleset hash.

use super::*;

#[test]
fn format_names_parse() {
    for f in Format::ALL {
        assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        assert_eq!(f.to_string(), f.as_str());
    }
    assert_eq!("MD".parse::<Format>(), Ok(Format::Markdown));
    let err = "xml".parse::<Format>().unwrap_err();
    assert!(err.to_string().contains("xml"), "{err}");
}

#[test]
fn ruleset_hash_is_stable_and_sensitive() {
    let a = ruleset_hash(&catalog());
    assert_eq!(a.len(), 64);
    assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    // The order rules are given in does not matter.
    let reordered =
        Catalog::from_specs(catalog().rules().iter().rev().cloned().collect()).expect("catalog");
    assert_eq!(ruleset_hash(&reordered), a);
    // Any change to a rule does.
    let mut specs = catalog().rules().to_vec();
    specs[0].remediation.push('!');
    assert_ne!(
        ruleset_hash(&Catalog::from_specs(specs).expect("catalog")),
        a
    );
    // So does dropping one.
    let fewer = Catalog::from_specs(catalog().rules()[1..].to_vec()).expect("catalog");
    assert_ne!(ruleset_hash(&fewer), a);
}
