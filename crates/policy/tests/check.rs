//! `policy check`: every error names the file, the line and the column of the mistake.

use segscope_policy::{check, parse};

const GOOD: &str = "\
schema: segscope.policy/1
name: small
zones:
  - name: web
    members:
      - cidr: 10.0.1.0/24
  - name: db
    members:
      - ip: 10.0.2.10
        name: pg01
        reason: serves tcp/5432 to web
  - name: pods
    members:
      - labels: {app: shop}
rules:
  - id: web-to-db
    from: web
    to: db
    service: tcp/5432
    comment: the shop's database
";

fn err(text: &str) -> String {
    parse("policy.yaml", text)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_else(|| panic!("accepted:\n{text}"))
}

#[test]
fn a_valid_policy_parses_with_defaults() {
    let p = parse("policy.yaml", GOOD).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p.default_action, segscope_policy::Action::Deny);
    assert_eq!(p.rules[0].action, segscope_policy::Action::Allow);
    let (_, warnings) = check("policy.yaml", GOOD).unwrap_or_else(|e| panic!("{e}"));
    // Zone `pods` is named by no rule (line 12, column 11).
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .message
            .starts_with("policy.yaml:12:11: zone pods"),
        "{}",
        warnings[0].message
    );
}

#[test]
fn unknown_zone_points_at_the_name() {
    let e = err(&GOOD.replace("    to: db\n", "    to: dbs\n"));
    assert!(
        e.starts_with("policy.yaml:18:9: unknown zone \"dbs\""),
        "{e}"
    );
}

#[test]
fn bad_service_points_at_the_value() {
    let e = err(&GOOD.replace("service: tcp/5432", "service: tcp/54x"));
    assert!(e.starts_with("policy.yaml:19:"), "{e}");
    assert!(e.contains("tcp/PORT"), "{e}");
}

#[test]
fn duplicate_ids_zones_and_members_are_refused() {
    let dup_rule =
        GOOD.to_owned() + "  - id: web-to-db\n    from: web\n    to: db\n    service: tcp/5433\n";
    let e = err(&dup_rule);
    assert!(
        e.starts_with("policy.yaml:21:9: rule id \"web-to-db\" is used twice"),
        "{e}"
    );
    let e = err(&GOOD.replace("  - name: db\n", "  - name: web\n"));
    assert!(
        e.starts_with("policy.yaml:7:11: zone \"web\" is defined twice"),
        "{e}"
    );
    let e = err(&GOOD.replace("      - ip: 10.0.2.10\n", "      - cidr: 10.0.1.0/24\n"));
    assert!(
        e.starts_with("policy.yaml:9:9:") && e.contains("also a member of zone \"web\""),
        "{e}"
    );
}

#[test]
fn unknown_fields_schema_and_host_bits_are_refused() {
    let e = err(&GOOD.replace("    comment:", "    coment:"));
    assert!(e.starts_with("policy.yaml:20:"), "{e}");
    let e = err(&GOOD.replace("segscope.policy/1", "segscope.policy/9"));
    assert!(e.starts_with("policy.yaml:1:9: unsupported schema"), "{e}");
    let e = err(&GOOD.replace("10.0.1.0/24", "10.0.1.5/24"));
    assert!(
        e.starts_with("policy.yaml:6:9:") && e.contains("write 10.0.1.0/24"),
        "{e}"
    );
}

#[test]
fn shadowed_rules_are_warned_about() {
    let text = GOOD.to_owned()
        + "  - id: any-db\n    from: \"*\"\n    to: db\n    service: tcp/5000-6000\n    action: deny\n";
    let (_, warnings) = check("policy.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        warnings.iter().any(|w| w
            .message
            .starts_with("policy.yaml:16:9: rule web-to-db: never applies: deny rule any-db")),
        "{warnings:?}"
    );
}
