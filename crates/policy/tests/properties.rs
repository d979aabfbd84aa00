//! Properties of the verdict semantics: adding an allow rule never adds a block, and the
//! verdict of a flow does not depend on the order of the rules.

use std::net::{IpAddr, Ipv4Addr};

use proptest::prelude::*;
use segscope_core::Transport;
use segscope_policy::model::{Action, Member, Policy, Rule, RuleKind, SCHEMA, Selector, Zone};
use segscope_policy::verdict::Evaluator;
use segscope_rules::PortSpec;

const ZONES: [&str; 4] = ["a", "b", "c", "*"];

fn zone(name: &str, net: &str, host: Option<u8>) -> Zone {
    let mut members = vec![Member {
        selector: Selector::Cidr(net.parse().unwrap_or_default()),
        name: None,
        reason: None,
    }];
    if let Some(h) = host {
        members.push(Member {
            selector: Selector::Ip(IpAddr::V4(Ipv4Addr::new(10, 0, 0, h))),
            name: None,
            reason: None,
        });
    }
    Zone {
        name: name.to_owned(),
        description: String::new(),
        external: false,
        members,
    }
}

fn rule_strategy() -> impl Strategy<Value = Rule> {
    (
        0usize..4,
        0usize..4,
        prop::bool::ANY,
        0u16..12,
        0u16..4,
        prop::bool::ANY,
        0u32..1000,
    )
        .prop_map(|(f, t, tcp, lo, width, deny, id)| Rule {
            id: format!("r{id}"),
            action: if deny { Action::Deny } else { Action::Allow },
            from: ZONES[f].to_owned(),
            to: ZONES[t].to_owned(),
            service: PortSpec {
                transport: if tcp { Transport::TCP } else { Transport::UDP },
                lo,
                hi: lo + width,
            },
            kind: RuleKind::Service,
            infrastructure: None,
            comment: String::new(),
            evidence: None,
        })
}

fn policy(rules: Vec<Rule>) -> Policy {
    let mut rules = rules;
    // Ids are unique in a valid policy.
    for (i, r) in rules.iter_mut().enumerate() {
        r.id = format!("{}-{i}", r.id);
    }
    Policy {
        schema: SCHEMA.to_owned(),
        name: "prop".to_owned(),
        description: String::new(),
        default_action: Action::Deny,
        generated: None,
        zones: vec![
            zone("a", "10.0.0.0/24", Some(7)),
            zone("b", "10.0.0.0/28", None),
            zone("c", "10.0.1.0/24", None),
        ],
        rules,
        denied_by_design: Vec::new(),
    }
}

type Flow = (u8, u8, bool, u16);

fn flow_strategy() -> impl Strategy<Value = Flow> {
    (0u8..20, 0u8..20, prop::bool::ANY, 0u16..16)
}

fn ip(n: u8) -> IpAddr {
    // 0..9 in 10.0.0.0/28 (zone b, except .7 in a), 10..14 in a, 15..19 in c or nowhere.
    match n {
        0..=9 => IpAddr::V4(Ipv4Addr::new(10, 0, 0, n)),
        10..=14 => IpAddr::V4(Ipv4Addr::new(10, 0, 0, 100 + n)),
        15..=17 => IpAddr::V4(Ipv4Addr::new(10, 0, 1, n)),
        _ => IpAddr::V4(Ipv4Addr::new(192, 168, 0, n)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn adding_an_allow_rule_never_adds_a_block(
        rules in prop::collection::vec(rule_strategy(), 0..8),
        mut extra in rule_strategy(),
        flows in prop::collection::vec(flow_strategy(), 1..32),
    ) {
        extra.action = Action::Allow;
        extra.id = "extra".to_owned();
        let before = policy(rules.clone());
        let mut after = policy(rules);
        after.rules.push(extra);
        let (eb, ea) = (Evaluator::new(&before), Evaluator::new(&after));
        for (c, s, tcp, port) in flows {
            let t = if tcp { Transport::TCP } else { Transport::UDP };
            let vb = eb.verdict(ip(c), ip(s), t, port);
            let va = ea.verdict(ip(c), ip(s), t, port);
            prop_assert!(vb.is_blocked() || !va.is_blocked(), "{vb:?} became {va:?}");
        }
    }

    #[test]
    fn verdicts_do_not_depend_on_rule_order(
        rules in prop::collection::vec(rule_strategy(), 0..10),
        flows in prop::collection::vec(flow_strategy(), 1..32),
        seed in any::<u64>(),
    ) {
        let forward = policy(rules);
        let mut shuffled = forward.clone();
        // A deterministic permutation from the seed (Fisher–Yates with an LCG).
        let mut x = seed | 1;
        for i in (1..shuffled.rules.len()).rev() {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let j = (x >> 33) as usize % (i + 1);
            shuffled.rules.swap(i, j);
        }
        let (ef, es) = (Evaluator::new(&forward), Evaluator::new(&shuffled));
        for (c, s, tcp, port) in flows {
            let t = if tcp { Transport::TCP } else { Transport::UDP };
            prop_assert_eq!(ef.verdict(ip(c), ip(s), t, port), es.verdict(ip(c), ip(s), t, port));
        }
    }
}

#[test]
fn most_specific_member_wins() {
    let p = policy(Vec::new());
    let e = Evaluator::new(&p);
    use segscope_policy::verdict::ZoneMatch;
    assert_eq!(
        e.zone_of(ip(7)),
        ZoneMatch::Zone("a"),
        "a host member beats b's /28"
    );
    assert_eq!(
        e.zone_of(ip(3)),
        ZoneMatch::Zone("b"),
        "the /28 beats a's /24"
    );
    assert_eq!(e.zone_of(ip(12)), ZoneMatch::Zone("a"));
    assert_eq!(e.zone_of(ip(18)), ZoneMatch::None);
}

#[test]
fn a_deny_beats_an_allow_and_the_narrowest_allow_is_cited() {
    let mk = |id: &str, action, from: &str, lo, hi| Rule {
        id: id.to_owned(),
        action,
        from: from.to_owned(),
        to: "c".to_owned(),
        service: PortSpec {
            transport: Transport::TCP,
            lo,
            hi,
        },
        kind: RuleKind::Service,
        infrastructure: None,
        comment: String::new(),
        evidence: None,
    };
    let p = policy(vec![
        mk("wide", Action::Allow, "*", 1, 1000),
        mk("narrow", Action::Allow, "a", 443, 443),
        mk("no-telnet", Action::Deny, "*", 23, 23),
    ]);
    let e = Evaluator::new(&p);
    let c = ip(16);
    assert_eq!(
        e.verdict(ip(12), c, Transport::TCP, 443).rule(),
        Some("narrow-1")
    );
    assert_eq!(
        e.verdict(ip(3), c, Transport::TCP, 443).rule(),
        Some("wide-0")
    );
    assert_eq!(
        e.verdict(ip(12), c, Transport::TCP, 23).kind(),
        "blocked_by_rule"
    );
    assert_eq!(
        e.verdict(ip(12), c, Transport::TCP, 2000).kind(),
        "blocked_by_default"
    );
    assert_eq!(
        e.verdict(ip(18), c, Transport::TCP, 443).kind(),
        "unmatched_zone"
    );
}
